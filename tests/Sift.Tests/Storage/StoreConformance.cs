using Sift.Composition;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Index.Analysis;
using Sift.Ingest;
using Sift.Ingest.Chunking;
using Sift.Ingest.Loading;
using Sift.Models.Static;
using Sift.Retrieval;

namespace Sift.Tests.Storage;

/// <summary>
/// What every store must do, run against each backend (embedded SQLite, PostgreSQL + pgvector): add, replace, delete,
/// prune, generation, metadata filters and access lists in both indexes, unicode, large documents, readers beside a
/// writer, a batch that fails midway, and rankings that do not depend on the order things were written.
/// </summary>
public abstract class StoreConformance : IDisposable
{
    protected static readonly EnglishTextAnalyzer Analyzer = new();

    private readonly List<IStore> _stores = [];

    /// <summary>A new, empty store; each call for the same test may be another handle on the same store (another server).</summary>
    protected abstract string NewLocation();

    protected IStore Open(string location)
    {
        var store = SiftStores.Open(StoreLocation.Resolve(location), Analyzer);
        _stores.Add(store);
        return store;
    }

    public virtual void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    protected static DocumentChunks Document(string id, IReadOnlyList<string> chunks, IReadOnlyDictionary<string, string>? metadata = null, string title = "")
    {
        var document = new SourceDocument(id, $"source/{id}", title, "", ContentHash.Of(id, string.Join('|', chunks)), metadata ?? new Dictionary<string, string>(), []);
        return new DocumentChunks(document, [.. chunks.Select((text, c) => new Chunk(id, c, text, c * 100, (c * 100) + text.Length, ["Heading", id], c % 3 == 0 ? c + 1 : null, ContentHash.Of(text)))]);
    }

    private static IChunkStore WithGlove(IChunkStore collection)
    {
        collection.UseEmbedder("glove", StaticWordEmbedder.Default);
        return collection;
    }

    private static void Write(IChunkStore collection, params DocumentChunks[] batch) =>
        collection.Write(collection.Embedder is { } embedder ? embedder.EmbedChunksAsync(batch).GetAwaiter().GetResult() : batch);

    private static IReadOnlyList<string> Lexical(IChunkStore collection, string query, int k = 10, MetadataFilter? filter = null) =>
        [.. collection.LexicalIndex(Bm25Parameters.Default).Search([.. Analyzer.Analyze(query).Select(t => t.Term)], k, filter).Select(s => s.DocumentId)];

    private static async Task<IReadOnlyList<string>> Dense(IChunkStore collection, string query, int k = 10, MetadataFilter? filter = null, bool exact = false)
    {
        var vector = (await collection.Embedder!.EmbedAsync([query], Embedders.ForQueries))[0];
        return [.. collection.DenseIndex().Search(vector, k, filter, null, exact).Select(s => s.DocumentId)];
    }

    [Fact]
    public void AddReplaceDeleteMoveTheGenerationAndKeepEveryDocumentWhole()
    {
        using var collection = WithGlove(Open(NewLocation()).OpenOrCreate("c"));
        var start = collection.Generation;
        Write(collection, Document("a", ["alpha one", "alpha two", "alpha three"]), Document("b", ["beta only"]));
        Assert.Equal(start + 1, collection.Generation);
        Assert.Equal(["a", "b"], collection.ListDocuments().Keys.Order(StringComparer.Ordinal));
        var before = collection.Document("a")!.Value.Chunks;
        Assert.Equal(["alpha one", "alpha two", "alpha three"], before.Select(c => c.Text));
        Assert.True(before.Zip(before.Skip(1)).All(p => p.First.Id < p.Second.Id), "a document's chunk ids ascend with their ordinals");

        // Replacing a document replaces all its chunks: the old ones are gone from reads and from both indexes.
        Write(collection, Document("a", ["gamma replaced"]));
        Assert.Equal(start + 2, collection.Generation);
        Assert.Empty(collection.GetChunks([.. before.Select(c => c.Id)]));
        Assert.Equal(["gamma replaced"], collection.Document("a")!.Value.Chunks.Select(c => c.Text));
        Assert.Empty(Lexical(collection, "alpha"));
        Assert.Equal(["a"], Lexical(collection, "gamma"));

        // File stamps are not content: the generation stays.
        collection.RecordFileStamps([("a", "stamp-1")]);
        Assert.Equal(start + 2, collection.Generation);
        Assert.Equal("stamp-1", collection.ListDocuments()["a"].FileStamp);

        collection.Delete(["b"]);
        Assert.Equal(start + 3, collection.Generation);
        Assert.Null(collection.Document("b"));
        Assert.Empty(Lexical(collection, "beta"));
        Assert.Equal(["a"], collection.Documents().Select(d => d.Id));
        var info = collection.Info();
        Assert.Equal((1, 1), (info.Documents, info.Chunks));
    }

    [Fact]
    public async Task PruneThroughTheIngestPipelineRemovesDocumentsWhoseFilesAreGone()
    {
        using var folder = new Support.TempFolder();
        folder.File("docs/keep.txt", "Tide tables predict the height of the sea.");
        var gone = folder.File("docs/gone.txt", "Glaciers carve valleys over thousands of years.");
        using var collection = WithGlove(Open(NewLocation()).OpenOrCreate("c"));
        var pipeline = new IngestPipeline(LoaderRegistry.Default, new WholeDocumentChunker(), collection, collection.Embedder);
        var first = await pipeline.RunAsync(new IngestRequest(folder.Combine("docs")), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(2, first.Added);

        File.Delete(gone);
        var second = await pipeline.RunAsync(new IngestRequest(folder.Combine("docs"), Prune: true), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal((1, 1), (second.Unchanged, second.Removed));
        Assert.Equal(["docs/keep.txt"], collection.ListDocuments().Keys);
        Assert.Equal(["docs/keep.txt"], await Dense(collection, "glaciers carve valleys", exact: true));
    }

    [Fact]
    public async Task MetadataFiltersAndAccessListsApplyInsideBothIndexes()
    {
        using var collection = WithGlove(Open(NewLocation()).OpenOrCreate("c"));
        // 40 public English documents about rivers, 3 German ones, 2 visible only to group:finance.
        var batch = Enumerable.Range(0, 40).Select(i => Document($"en-{i:00}", [$"river flood plain number {i}"], new Dictionary<string, string> { ["lang"] = "en" }))
            .Concat(Enumerable.Range(0, 3).Select(i => Document($"de-{i}", [$"river flood Fluss {i}"], new Dictionary<string, string> { ["lang"] = "de" })))
            .Concat(Enumerable.Range(0, 2).Select(i => Document($"secret-{i}", [$"river flood budget {i}"], new Dictionary<string, string> { ["lang"] = "en", [AccessScope.MetadataKey] = "group:finance" })))
            .ToArray();
        Write(collection, batch);

        var german = new MetadataFilter([new("lang", "de")]);
        Assert.Equal(["de-0", "de-1", "de-2"], Lexical(collection, "river flood", 10, german).Order(StringComparer.Ordinal));
        // A selective filter still fills the page from the vector index (filtered inside the search, not after it).
        Assert.Equal(["de-0", "de-1", "de-2"], (await Dense(collection, "river flood", 3, german)).Order(StringComparer.Ordinal));
        Assert.Equal(["de-0", "de-1", "de-2"], (await Dense(collection, "river flood", 3, german, exact: true)).Order(StringComparer.Ordinal));

        var outsider = MetadataFilter.For(new AccessScope(["group:other"]));
        var insider = MetadataFilter.For(new AccessScope(["group:finance"]));
        Assert.DoesNotContain(Lexical(collection, "budget river", 50, outsider), d => d.StartsWith("secret", StringComparison.Ordinal));
        Assert.DoesNotContain(await Dense(collection, "budget river", 50, outsider), d => d.StartsWith("secret", StringComparison.Ordinal));
        Assert.Equal(["secret-0", "secret-1"], Lexical(collection, "budget", 10, insider).Order(StringComparer.Ordinal));
        Assert.Contains("secret-0", await Dense(collection, "budget river flood", 50, insider));

        // Counts and versions shown to a caller cover what it may see only.
        var index = collection.LexicalIndex(Bm25Parameters.Default);
        Assert.Equal((43, 43), (index.Visible(new AccessScope(["group:other"])).Documents, index.Visible(new AccessScope(["group:other"])).Chunks));
        Assert.Equal(45, index.Visible(null).Documents);
        Assert.NotEqual(index.Visible(new AccessScope(["group:other"])).Version, index.Visible(new AccessScope(["group:finance"])).Version);
    }

    [Fact]
    public void UnicodeAndLargeDocumentsRoundTripExactly()
    {
        using var collection = Open(NewLocation()).OpenOrCreate("c");
        collection.UseEmbedder("none", null);
        var texts = new[] { "Zürich straße naïve café", "東京の天気は晴れです", "مرحبا بالعالم", "emoji 🚀 rocket 𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "e\u0301 combining, zero\u200Bwidth" };
        var large = Enumerable.Range(0, 3000).Select(i => $"paragraph {i} of the large manual, with words like turbine{i % 97}").ToArray();
        collection.Write([Document("ünïcödé/文書 🚀.txt", texts, new Dictionary<string, string> { ["author"] = "Zoë 🚀" }, "Tïtle 東京"), Document("large", large)]);

        var (record, chunks) = collection.Document("ünïcödé/文書 🚀.txt")!.Value;
        Assert.Equal(texts, chunks.Select(c => c.Text));
        Assert.Equal("Zoë 🚀", record.Metadata["author"]);
        Assert.Equal("Tïtle 東京", chunks[0].Title);
        Assert.Equal(["Heading", "ünïcödé/文書 🚀.txt"], chunks[0].HeadingPath);
        Assert.Equal([1, null, null, 4, null], chunks.Select(c => c.Page));
        Assert.Equal(["ünïcödé/文書 🚀.txt"], Lexical(collection, "Zürich straße"));
        Assert.Equal(3000, collection.Document("large")!.Value.Chunks.Count);
        Assert.Equal(large, collection.Document("large")!.Value.Chunks.Select(c => c.Text));
        Assert.Equal(["large"], Lexical(collection, "turbine42", 5).Distinct());
        Assert.Equal(31, collection.LexicalIndex(Bm25Parameters.Default).Search(["turbine42"], 100, null).Count);
    }

    [Fact]
    public async Task RankingsDoNotDependOnTheOrderDocumentsWereWritten()
    {
        // Many exact ties: identical chunk texts in different documents, and repeated chunks within one.
        var documents = Enumerable.Range(0, 30).Select(i => Document($"doc-{(i * 7) % 30:00}", i % 3 == 0
            ? ["solar panels convert light", "solar panels convert light", $"extra words {i}"]
            : [$"solar panels convert light"])).ToArray();
        var store = Open(NewLocation());
        using var forward = WithGlove(store.OpenOrCreate("forward"));
        using var backward = WithGlove(store.OpenOrCreate("backward"));
        foreach (var document in documents)
        {
            Write(forward, document);
        }

        foreach (var document in documents.Reverse())
        {
            Write(backward, document);
        }

        foreach (var mode in new[] { "bm25", "dense", "hybrid" })
        {
            var a = await RetrieverFactory.Create(forward, Analyzer, new RetrievalSettings(mode, Exact: true)).RetrieveAsync(new RetrievalQuery("solar panels light", 10), TestContext.Current.CancellationToken);
            var b = await RetrieverFactory.Create(backward, Analyzer, new RetrievalSettings(mode, Exact: true)).RetrieveAsync(new RetrievalQuery("solar panels light", 10), TestContext.Current.CancellationToken);
            Assert.Equal(a.Select(r => (r.Chunk.DocumentId, r.Chunk.Start)), b.Select(r => (r.Chunk.DocumentId, r.Chunk.Start)));
            Assert.Equal(a.Select(r => r.Chunk.DocumentId).Take(3), ["doc-00", "doc-00", "doc-01"]);
        }
    }

    [Fact]
    public async Task ReadersBesideAWriterSeeWholeBatchesAndNoErrors()
    {
        var location = NewLocation();
        using var writer = Open(location).OpenOrCreate("c");
        writer.UseEmbedder("none", null);
        using var reader = Open(location).Open("c");
        reader.UseEmbedder("none", null);
        using var stop = new CancellationTokenSource();
        // The writer starts once every reader is searching (on a loaded machine a reader task may start late).
        using var searching = new CountdownEvent(3);
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            var searches = 0;
            do
            {
                // Each batch writes 5 documents of 4 chunks: a reader sees whole batches only.
                var hits = reader.LexicalIndex(Bm25Parameters.Default).Search(["share"], 1000, null);
                Assert.Equal(0, hits.Count % 20);
                Assert.Equal(hits.Count, reader.GetChunks([.. hits.Select(h => h.ChunkId)]).Count); // nothing is deleted here
                if (searches++ == 0)
                {
                    searching.Signal();
                }
            }
            while (!stop.IsCancellationRequested);

            return searches;
        })).ToArray();

        Assert.True(searching.Wait(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken), "the readers did not start");

        for (var batch = 0; batch < 25; batch++)
        {
            writer.Write([.. Enumerable.Range(0, 5).Select(d => Document($"b{batch}-d{d}", ["shared one", "shared two", "shared three", "shared four"]))]);
        }

        await Task.Delay(200, TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        var searched = await Task.WhenAll(readers);
        Assert.All(searched, count => Assert.True(count > 1, $"{count} searches"));
        Assert.Equal(500, reader.LexicalIndex(Bm25Parameters.Default).Search(["share"], 1000, null).Count);
    }

    [Fact]
    public async Task ABatchThatFailsMidwayLeavesTheCollectionAsItWas()
    {
        using var collection = WithGlove(Open(NewLocation()).OpenOrCreate("c"));
        Write(collection, Document("a", ["original text"]));
        var generation = collection.Generation;

        // The second document's vector has the wrong dimension: the store refuses the whole batch.
        var good = await StaticWordEmbedder.Default.EmbedChunksAsync([Document("a", ["replacement text"]), Document("new", ["never stored"])], cancellationToken: TestContext.Current.CancellationToken);
        var broken = good[1] with { Vectors = [new float[7]] };
        var error = Assert.Throws<SiftException>(() => collection.Write([good[0], broken]));
        Assert.Contains("dimensional", error.Message, StringComparison.Ordinal);
        Assert.Equal(generation, collection.Generation);
        Assert.Equal(["a"], collection.ListDocuments().Keys);
        Assert.Equal("original text", Assert.Single(collection.Document("a")!.Value.Chunks).Text);

        // Chunks without vectors in a collection that has an embedder are refused, naming the document.
        var missing = Assert.Throws<SiftException>(() => collection.Write([Document("b", ["no vector"])]));
        Assert.Contains("'b'", missing.Message, StringComparison.Ordinal);
        Assert.Equal(generation, collection.Generation);
    }

    /// <summary>How long a change made through another handle (another server) may take to be seen here.</summary>
    protected virtual TimeSpan VisibilityBound => TimeSpan.Zero;

    [Fact]
    public async Task AChangeThroughAnotherHandleIsSeenWithinTheStoresBound()
    {
        var location = NewLocation();
        using var first = WithGlove(Open(location).OpenOrCreate("c"));
        using var second = WithGlove(Open(location).Open("c"));
        Assert.Empty(Lexical(second, "lighthouse"));

        // The writer's own handle sees its change at once; the other within the bound (checked every 5 ms).
        async Task SeenAsync(Func<bool> seen)
        {
            var deadline = DateTime.UtcNow + VisibilityBound;
            while (!seen() && DateTime.UtcNow < deadline)
            {
                await Task.Delay(5, TestContext.Current.CancellationToken);
            }

            Assert.True(seen(), $"not seen within {VisibilityBound.TotalMilliseconds} ms");
        }

        Write(first, Document("x", ["the lighthouse keeper"]));
        Assert.Equal(["x"], Lexical(first, "lighthouse"));
        await SeenAsync(() => Lexical(second, "lighthouse").SequenceEqual(["x"]));
        first.Configure(first.Settings with { Mode = "hybrid", EfSearch = 64 });
        await SeenAsync(() => (second.Settings.Mode, second.Settings.EfSearch) == ("hybrid", 64));
        first.Delete(["x"]);
        Assert.Empty(Lexical(first, "lighthouse"));
        await SeenAsync(() => Lexical(second, "lighthouse").Count == 0);
    }

    [Fact]
    public void AnotherEmbedderIsRefusedAndUnknownCollectionsAreNamed()
    {
        var store = Open(NewLocation());
        using (var collection = WithGlove(store.OpenOrCreate("c")))
        {
            Write(collection, Document("a", ["text"]));
        }

        using var reopened = store.Open("c");
        Assert.Equal("glove", reopened.EmbedderSpec);
        var refused = Assert.Throws<SiftException>(() => reopened.UseEmbedder("none", null));
        Assert.Contains("holds vectors from", refused.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<SiftException>(() => store.Open("nope"));
        Assert.Contains("known: c", unknown.Message, StringComparison.Ordinal);
        Assert.Throws<SiftException>(() => store.OpenOrCreate("../escape"));
        store.Delete("c");
        Assert.Empty(store.List());
    }

    private static VersionRecord Seal(IChunkStore collection, string alias = VersionAliases.Production) =>
        collection.Versions!.Commit(new VersionChange("ingest", "test"), alias);

    [Fact]
    public async Task AVersionReadsWhatItHeldAfterItsDocumentsAreReplacedAndDeleted()
    {
        using var collection = WithGlove(Open(NewLocation()).OpenOrCreate("c"));
        Write(collection, Document("a", ["apples grow on trees"]), Document("b", ["bananas are yellow"]), Document("c", ["cherries are red", "cherry pits"]));
        var first = Seal(collection);
        Assert.Equal(first.Id, Seal(collection).Id); // nothing changed: no new version
        Write(collection, Document("a", ["avocados are green"]));
        collection.Delete(["c"]);
        var second = Seal(collection);
        Assert.Equal((1L, (long?)null, 3L, 4L), (first.Id, first.Parent, first.Documents, first.Chunks));
        Assert.Equal((2L, (long?)1, 2L), (second.Id, second.Parent, second.Documents));

        using var old = collection.Versions!.Open(first.Id);
        Assert.Equal(["a"], Lexical(old, "apples"));
        Assert.Equal(["c"], Lexical(old, "red"));
        Assert.Empty(Lexical(old, "avocados"));
        Assert.Equal(["c", "c"], await Dense(old, "cherry", k: 2, exact: true));
        Assert.Equal(["cherries are red", "cherry pits"], old.Document("c")!.Value.Chunks.Select(c => c.Text));
        Assert.Equal(["a", "b", "c"], old.Documents().Select(d => d.Id));
        Assert.Equal(["a"], Lexical(collection, "avocados"));
        Assert.Throws<SiftException>(() => old.Delete(["a"]));

        using var newer = collection.Versions.Open(second.Id);
        var (held, holds) = (old.Documents(), newer.Documents());
        Assert.Equal(["a", "b", "c"], held.Select(d => d.Id));
        Assert.Equal(["a", "b"], holds.Select(d => d.Id));
        Assert.Equal((held[1].ContentHash, held[1].IngestedAt), (holds[1].ContentHash, holds[1].IngestedAt)); // b unchanged: the same revision in both
        var diff = VersionOperations.Diff(collection.Versions, first.Id, second.Id);
        Assert.Equal(["c"], diff.Removed);
        Assert.Equal(["a"], diff.Changed);
    }

    [Fact]
    public void AVersionRanksAsTheWorkingStateDidWhenItWasThatVersion()
    {
        using var collection = Open(NewLocation()).OpenOrCreate("c");
        collection.UseEmbedder("none", null);
        Write(collection, [.. Enumerable.Range(0, 40).Select(i => Document($"d{i:00}", [$"common words here {(i % 3 == 0 ? "rare" : "plain")} term{i}"]))]);
        var version = Seal(collection);
        var before = collection.LexicalIndex(Bm25Parameters.Default).Search(["rare", "common"], 10, null);

        // A later write changes every statistic of the working state; the version's own index must not follow it.
        Write(collection, [.. Enumerable.Range(40, 40).Select(i => Document($"d{i:00}", [$"rare rare rare common term{i}"]))]);
        Seal(collection);
        using var view = collection.Versions!.Open(version.Id);
        Assert.Equal(before, view.LexicalIndex(Bm25Parameters.Default).Search(["rare", "common"], 10, null));
        Assert.Equal(version.Generation, view.Generation);
    }

    [Fact]
    public void AliasesMoveRollBackAlongTheirHistoryAndGcKeepsWhatAliasesHold()
    {
        var store = Open(NewLocation());
        using var collection = store.OpenOrCreate("c");
        collection.UseEmbedder("none", null);
        var catalog = collection.Versions!;
        Write(collection, Document("a", ["one"]), Document("b", ["shared"]));
        var v1 = Seal(collection, "pinned");
        Write(collection, Document("a", ["two"]));
        var v2 = Seal(collection);
        Write(collection, Document("a", ["three"]));
        var v3 = Seal(collection, VersionAliases.Candidate);
        Assert.Equal(v2.Id, catalog.Aliases()[VersionAliases.Production]);
        catalog.MoveAlias(VersionAliases.Production, v3.Id, "test", "promote");
        catalog.MoveAlias(VersionAliases.Production, v1.Id, "test", "tag");

        // Rollbacks walk back along the moves (1 -> 3 -> 2), never to and fro between the last two.
        foreach (var expected in new[] { v3.Id, v2.Id })
        {
            var target = VersionOperations.RollbackTarget(catalog, VersionAliases.Production);
            Assert.Equal(expected, target);
            catalog.MoveAlias(VersionAliases.Production, target, "test", VersionOperations.RollbackReason);
        }

        Assert.Throws<SiftException>(() => VersionOperations.RollbackTarget(catalog, VersionAliases.Production));
        Assert.Throws<SiftException>(() => catalog.MoveAlias("prod", 99, "test", "tag"));

        // Another handle (another server) sees the same versions and aliases.
        using (var other = Open(NewLocation()).Open("c"))
        {
            Assert.Equal([v1.Id, v2.Id, v3.Id], other.Versions!.List().Select(v => v.Id));
            Assert.Equal(v2.Id, other.Versions.Aliases()[VersionAliases.Production]);
        }

        catalog.MoveAlias(VersionAliases.Production, v3.Id, "test", "promote");
        catalog.DeleteAlias("pinned");
        catalog.MoveAlias("pinned", v1.Id, "test", "tag");
        var collected = catalog.Collect(new VersionRetention(KeepLast: 1));
        Assert.Equal([v2.Id], collected.DeletedVersions);
        Assert.Equal((1L, 1L), (collected.DeletedDocumentRevisions, collected.DeletedChunks));
        using var pinned = catalog.Open(v1.Id);
        Assert.Equal("one", pinned.Document("a")!.Value.Chunks.Single().Text);
        Assert.Throws<SiftException>(() => catalog.Open(v2.Id));
    }
}

public sealed class EmbeddedStoreConformanceTests : StoreConformance
{
    private readonly Support.TempFolder _folder = new();
    private string? _location;

    protected override string NewLocation() => _location ??= _folder.Combine("store");

    public override void Dispose()
    {
        base.Dispose();
        _folder.Dispose();
    }
}

[Collection(Support.PostgresCluster.Name)]
[Trait("Category", "Postgres")]
public sealed class PostgresStoreConformanceTests(Support.PostgresCluster cluster) : StoreConformance
{
    private string? _location;

    /// <summary>A change reaches other servers with its notification (LISTEN/NOTIFY); 2 s covers a loaded test machine.</summary>
    protected override TimeSpan VisibilityBound => TimeSpan.FromSeconds(2);

    protected override string NewLocation() => _location ??= cluster.NewDatabase();

    [Fact]
    public async Task ACollectionDeletedAndCreatedAgainThroughAnotherServerIsFollowedByName()
    {
        var location = NewLocation();
        var other = Open(location);
        using var handle = Open(location).OpenOrCreate("c");
        handle.UseEmbedder("none", null);
        handle.Write([Document("old", ["an old lighthouse"])]);
        Assert.Equal(["old"], handle.LexicalIndex(Bm25Parameters.Default).Search(["lighthous"], 5, null).Select(h => h.DocumentId));

        other.Delete("c");
        using (var again = other.OpenOrCreate("c"))
        {
            again.UseEmbedder("none", null);
            again.Write([Document("new", ["a new lighthouse"])]);
        }

        // The first handle hears of the deletion and reads the collection that now has the name.
        var deadline = DateTime.UtcNow + VisibilityBound;
        IReadOnlyList<string> seen = [];
        while (DateTime.UtcNow < deadline && !seen.SequenceEqual(["new"]))
        {
            seen = [.. handle.LexicalIndex(Bm25Parameters.Default).Search(["lighthous"], 5, null).Select(h => h.DocumentId)];
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        Assert.Equal(["new"], seen);
        Assert.Equal(["new"], handle.ListDocuments().Keys);
    }

    [Fact]
    public void WithTheListenerCutOffChangesAreReadFromTheDatabaseInstead()
    {
        var location = NewLocation();
        using var first = Open(location).OpenOrCreate("c");
        first.UseEmbedder("none", null);
        using var second = Open(location).Open("c");
        second.UseEmbedder("none", null);
        Assert.Equal(0, second.LexicalIndex(Bm25Parameters.Default).Visible(null).Documents);

        // Every listening connection is terminated, as a network fault or a database restart would; the feeds
        // reconnect within a second, but until then no notification can arrive.
        var builder = global::Sift.Postgres.PostgresAddress.Parse(location);
        builder.Pooling = false;
        using (var admin = new Npgsql.NpgsqlConnection(builder.ConnectionString))
        {
            admin.Open();
            using var kill = new Npgsql.NpgsqlCommand("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'LISTEN sift_changes%' AND datname = current_database()", admin);
            Assert.True((long)kill.ExecuteScalar()! >= 2);
        }

        Thread.Sleep(200); // the listeners see their connections close (a reset is noticed at once, not on a heartbeat)

        first.Write([Document("y", ["a harbour crane"])]);
        // Read straight away: the other handle's feed is down, so it asks the database.
        Assert.Equal(["y"], second.LexicalIndex(Bm25Parameters.Default).Search(["harbour"], 5, null).Select(h => h.DocumentId));
    }
}
