using Microsoft.Data.Sqlite;
using Sift.Composition;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Index.Analysis;
using Sift.Index.Storage;
using Sift.Tests.Support;

namespace Sift.Tests.Storage;

/// <summary>What only the embedded store shows of versions: its manifest encoding and the rows it archives (the rest is in <see cref="StoreConformance"/>).</summary>
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
    public void OnlyRevisionsASealedVersionHoldsAreArchivedAndGcGivesTheirSpaceBack()
    {
        using var collection = Open();
        collection.Write([Document("a", "apples grow on trees"), Document("b", "bananas are yellow"), Document("c", "cherries are red")]);
        Commit(collection);

        // a is replaced twice before the next seal: only the sealed revision is kept aside, the one in between is not.
        collection.Write([Document("a", "avocados are green")]);
        collection.Write([Document("a", "apricots are orange")]);
        collection.Delete(["c"]);
        Commit(collection);
        Assert.Equal((2L, 2L), (Rows("archived_documents"), Rows("archived_chunks")));
        Assert.Equal(2L, Rows("documents"));

        collection.Versions!.DeleteAlias(VersionAliases.Production);
        var collected = collection.Versions.Collect(new VersionRetention(KeepLast: 1));
        Assert.Equal([1L], collected.DeletedVersions);
        Assert.Equal((0L, 0L), (Rows("archived_documents"), Rows("archived_chunks")));
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
