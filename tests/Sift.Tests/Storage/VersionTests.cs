using Microsoft.Data.Sqlite;
using Sift.Composition;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Index.Analysis;
using Sift.Index.Storage;
using Sift.Tests.Support;

namespace Sift.Tests.Storage;

/// <summary>Versions of an embedded collection: sealed manifests, archived rows, views, aliases, rollback and gc.</summary>
public sealed class VersionTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private Collection Open() => new CollectionStore(_folder.Combine("store"), new EnglishTextAnalyzer()).OpenOrCreate("c");

    private static DocumentChunks Document(string id, string text)
    {
        var document = new SourceDocument(id, id, $"title {id}", text, ContentHash.Of(text), new Dictionary<string, string>(), []);
        return new DocumentChunks(document, [new Chunk(id, 0, text, 0, text.Length, [], null, ContentHash.Of(text))]);
    }

    private static VersionRecord Commit(IChunkStore collection, string alias = VersionAliases.Production) =>
        collection.Versions!.Commit(new VersionChange("ingest", "test"), alias);

    private static List<string> Search(IChunkStore collection, string term) =>
        [.. collection.LexicalIndex(Bm25Parameters.Default).Search([term], 10, null).Select(s => s.DocumentId)];

    [Fact]
    public void RevisionSetsStoreGapsAsVarints()
    {
        // Gaps 1, 1, 1, 125, 200: four one-byte gaps and one of two bytes (200 = 0b1_1001000 -> 0xC8 0x01).
        var encoded = RevisionSet.Encode([1, 2, 3, 128, 328]);
        Assert.Equal(new byte[] { 1, 1, 1, 125, 0xC8, 0x01 }, encoded);
        Assert.Equal([1L, 2, 3, 128, 328], RevisionSet.Decode(encoded));
        Assert.Throws<ArgumentException>(() => RevisionSet.Encode([2, 2]));
    }

    [Fact]
    public void AVersionReadsWhatItHeldAfterDocumentsAreReplacedAndDeleted()
    {
        using var collection = Open();
        collection.Write([Document("a", "apples grow on trees"), Document("b", "bananas are yellow"), Document("c", "cherries are red")]);
        var first = Commit(collection);
        collection.Write([Document("a", "avocados are green")]);
        collection.Delete(["c"]);
        var second = Commit(collection);

        Assert.Equal((1L, (long?)null, 3L), (first.Id, first.Parent, first.Documents));
        Assert.Equal((2L, (long?)1, 2L), (second.Id, second.Parent, second.Documents));
        using var old = collection.Versions!.Open(first.Id);
        Assert.Equal(["a"], Search(old, "appl"));
        Assert.Equal(["c"], Search(old, "cherri"));
        Assert.Empty(Search(old, "avocado"));
        Assert.Equal("apples grow on trees", old.Document("a")!.Value.Chunks.Single().Text);
        Assert.Equal(["a", "b", "c"], old.Documents().Select(d => d.Id));
        Assert.Equal(["a"], Search(collection, "avocado"));

        // Only the two superseded revisions were kept aside; b is shared by both versions, stored once.
        Assert.Equal(2, Rows("archived_documents"));
        var (held, holds) = (collection.Versions.Manifest(first.Id), collection.Versions.Manifest(second.Id));
        Assert.Equal(["a", "b", "c"], held.Select(e => e.DocumentId));
        Assert.Equal(["a", "b"], holds.Select(e => e.DocumentId));
        Assert.Equal(held[1], holds[1]);
        var diff = VersionOperations.Diff(collection.Versions, first.Id, second.Id);
        Assert.Equal((0, 1, 1), (diff.Added.Count, diff.Removed.Count, diff.Changed.Count));
        Assert.Equal(("c", "a"), (diff.Removed[0], diff.Changed[0]));
    }

    [Fact]
    public void ViewsAnswerAsTheWorkingStateDidWhenItWasThatVersion()
    {
        using var collection = Open();
        collection.Write([.. Enumerable.Range(0, 40).Select(i => Document($"d{i:00}", $"common words here {(i % 3 == 0 ? "rare" : "plain")} term{i}"))]);
        var version = Commit(collection);
        var before = collection.LexicalIndex(Bm25Parameters.Default).Search(["rare", "common"], 10, null);

        // A later write changes every statistic of the working state; the version's own index must not follow it.
        collection.Write([.. Enumerable.Range(40, 40).Select(i => Document($"d{i:00}", $"rare rare rare common term{i}"))]);
        Commit(collection);
        using var view = collection.Versions!.Open(version.Id);
        Assert.Equal(before, view.LexicalIndex(Bm25Parameters.Default).Search(["rare", "common"], 10, null));
        Assert.Equal(version.Generation, view.Generation);
        Assert.Throws<Sift.Core.SiftException>(() => view.Delete(["d00"]));
    }

    [Fact]
    public void NothingChangedMakesNoNewVersionAndAliasesMoveAndRollBackAlongTheirHistory()
    {
        using var collection = Open();
        var catalog = collection.Versions!;
        collection.Write([Document("a", "one")]);
        var v1 = Commit(collection);
        Assert.Equal(v1.Id, Commit(collection).Id);
        collection.Write([Document("a", "two")]);
        var v2 = Commit(collection);
        collection.Write([Document("a", "three")]);
        var v3 = Commit(collection, VersionAliases.Candidate);
        Assert.Equal(v2.Id, catalog.Aliases()[VersionAliases.Production]);
        catalog.MoveAlias(VersionAliases.Production, v3.Id, "test", "promote");

        // Rollbacks walk back through the moves (3 -> 2 -> 1), not to and fro between the last two.
        foreach (var expected in new[] { v2.Id, v1.Id })
        {
            var target = VersionOperations.RollbackTarget(catalog, VersionAliases.Production);
            Assert.Equal(expected, target);
            catalog.MoveAlias(VersionAliases.Production, target, "test", VersionOperations.RollbackReason);
        }

        Assert.Throws<Sift.Core.SiftException>(() => VersionOperations.RollbackTarget(catalog, VersionAliases.Production));
        Assert.Equal(v1.Id, CollectionVersions.Find("c", catalog, null));
        Assert.Equal(v3.Id, CollectionVersions.Find("c", catalog, "candidate"));
        Assert.Equal(v2.Id, CollectionVersions.Find("c", catalog, "v2"));
        Assert.Contains("no alias 'staging'", Assert.Throws<Sift.Core.SiftException>(() => CollectionVersions.Find("c", catalog, "staging")).Message, StringComparison.Ordinal);
        Assert.Throws<Sift.Core.InvalidOptionException>(() => catalog.MoveAlias("9lives", v1.Id, "test", "tag"));
    }

    [Fact]
    public void GcKeepsAliasedAndNewestVersionsAndDropsRowsOnlyOthersHeld()
    {
        using var collection = Open();
        var catalog = collection.Versions!;
        collection.Write([Document("a", "first"), Document("b", "shared")]);
        var v1 = Commit(collection, "pinned");
        collection.Write([Document("a", "second")]);
        var v2 = Commit(collection, "scratch");
        collection.Write([Document("a", "third")]);
        var v3 = Commit(collection);
        catalog.DeleteAlias("scratch");
        Assert.Equal(2, Rows("archived_documents"));

        var collected = catalog.Collect(new VersionRetention(KeepLast: 1));
        Assert.Equal([v2.Id], collected.DeletedVersions);
        Assert.Equal((1L, 1L), (collected.DeletedDocumentRevisions, collected.DeletedChunks));
        Assert.Equal([v1.Id, v3.Id], catalog.List().Select(v => v.Id));
        using var pinned = catalog.Open(v1.Id);
        Assert.Equal("first", pinned.Document("a")!.Value.Chunks.Single().Text);
        Assert.Throws<Sift.Core.InvalidOptionException>(() => catalog.Collect(new VersionRetention(0)));
    }

    private long Rows(string table)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_folder.Combine("store"), "c", Collection.DatabaseFileName)};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
        return (long)command.ExecuteScalar()!;
    }
}
