using System.Text.Json;
using Microsoft.Data.Sqlite;
using Sift.Core.Filtering;
using Sift.Index.Analysis;
using Sift.Index.Lexical;
using Sift.Index.Storage;
using Sift.Ingest;
using Sift.Ingest.Chunking;
using Sift.Ingest.Loading;
using Sift.Tests.Support;

namespace Sift.Tests.Index;

/// <summary>lexical.idx: the BM25 index saved at the end of an ingest and memory-mapped by the next process.</summary>
public sealed class LexicalIndexFileTests : IDisposable
{
    private static readonly EnglishTextAnalyzer Analyzer = new();
    private static readonly string[] Vocabulary = [.. Enumerable.Range(0, 400).Select(i => $"w{i}"), "café", "naïve", "東京", "straße"];
    private static readonly string[][] Queries =
    [
        ["w1"], ["w2", "w3"], ["café", "w7"], ["w398"], ["straße", "naïv", "w399"], ["東", "京"], ["w5", "w5", "w11"], ["missing"], ["w0", "w100", "w200", "w300"],
    ];

    private readonly TempFolder _folder = new();
    private readonly List<string> _warnings = [];

    public void Dispose() => _folder.Dispose();

    private CollectionStore Store => new(_folder.Combine("store"), Analyzer, _warnings.Add);

    private string IndexFile(string collection) => _folder.Combine($"store/{collection}/lexical.idx");

    /// <summary>Ingests <paramref name="documents"/> random documents; a third are visible to group:a only, a third to group:b.</summary>
    private void Ingest(string collection, int documents, int seed)
    {
        var random = new Random(seed);
        var lines = Enumerable.Range(0, documents).Select(d => JsonSerializer.Serialize(new
        {
            _id = $"{collection}-{d}",
            title = "",
            text = string.Join(' ', Enumerable.Range(0, random.Next(3, 60)).Select(_ => Vocabulary[(int)(Math.Pow(random.NextDouble(), 2) * Vocabulary.Length)])),
            metadata = d % 3 == 0 ? new Dictionary<string, string>() : new() { ["acl"] = d % 3 == 1 ? "group:a" : "group:b" },
        }));
        var corpus = _folder.File($"{collection}-{seed}.jsonl", string.Join('\n', lines));
        using var target = Store.OpenOrCreate(collection);
        var chunker = new WholeDocumentChunker();
        new IngestPipeline(LoaderRegistry.Default, chunker, target, target.Embedder).RunAsync(new IngestRequest(corpus)).GetAwaiter().GetResult();
        target.FinishIngest(chunker.Fingerprint);
    }

    private static readonly AccessScope?[] Scopes = [null, new AccessScope(["group:a"]), new AccessScope(["group:b", "user:x"]), new AccessScope(["user:x"])];

    private static (long Documents, long Chunks, string Version) Visible(LexicalSnapshot snapshot, AccessScope? scope)
    {
        var visible = snapshot.Access.VisibleTo(scope);
        return (visible.Documents, visible.Chunks, visible.Version);
    }

    private static List<List<ScoredSlot>> SearchAll(LexicalSnapshot snapshot)
    {
        var visible = snapshot.Access.VisibleTo(new AccessScope(["group:a"])).Partitions;
        return [.. Queries.SelectMany(q => new[] { snapshot.Index.Search(q, 20), snapshot.Index.Search(q, 20, visiblePartitions: visible) }).Select(r => r.ToList())];
    }

    [Fact]
    public void ANewProcessSearchesTheSavedFileAndScoresExactlyAsTheRebuiltIndex()
    {
        Ingest("c", 600, seed: 1);
        Assert.True(File.Exists(IndexFile("c")));
        List<List<ScoredSlot>> built;
        List<(long, long, string)> builtAccess;
        using (var rebuilt = Store.Open("c"))
        {
            File.Move(IndexFile("c"), IndexFile("c") + ".aside");
            var snapshot = rebuilt.LexicalIndex(Bm25Parameters.Default);
            Assert.False(snapshot.Index.Postings.IsMapped);
            built = SearchAll(snapshot);
            builtAccess = [.. Scopes.Select(scope => Visible(snapshot, scope))];
            File.Move(IndexFile("c") + ".aside", IndexFile("c"));
        }

        // Blank every chunk's stored terms: results can now only come from the file.
        SqliteConnection.ClearAllPools();
        using (var connection = new SqliteConnection($"Data Source={_folder.Combine("store/c/collection.db")}"))
        {
            connection.Open();
            using var blank = connection.CreateCommand();
            blank.CommandText = "UPDATE chunks SET terms = ''";
            Assert.Equal(600, blank.ExecuteNonQuery());
        }

        using var reopened = Store.Open("c");
        var mapped = reopened.LexicalIndex(Bm25Parameters.Default);
        Assert.True(mapped.Index.Postings.IsMapped);
        Assert.Equal(600, mapped.Index.Count);
        Assert.Equal(Queries.Length - 1, built.Where((_, i) => i % 2 == 0).Count(r => r.Count > 0)); // all but "missing"
        Assert.Equal(built, SearchAll(mapped));

        // Access partitions come from the file too: same counts and content versions for every caller; metadata is
        // read only when a filter asks for it.
        Assert.Equal(builtAccess, Scopes.Select(scope => Visible(mapped, scope)));
        Assert.False(mapped.Metadata.IsValueCreated);
        Assert.Equal("group:a", mapped.DocumentMetadata["c-1"]["acl"]);
        Assert.Equal(Math.Log(1 + ((600 - 0 + 0.5) / 0.5)), mapped.Index.Idf("missing"), 1e-4);

        // Other parameters rescore the same mapped postings.
        var tuned = reopened.LexicalIndex(new Bm25Parameters(K1: 0.6f, B: 0.3f));
        Assert.Same(mapped.Index.Postings, tuned.Index.Postings);
        Assert.NotEqual(built[0][0].Score, tuned.Index.Search(Queries[0], 20)[0].Score);
        Assert.Empty(_warnings);
    }

    [Fact]
    public void ADamagedFileIsRebuiltFromTheStoredTermsWithAWarning()
    {
        Ingest("c", 200, seed: 2);
        List<List<ScoredSlot>> expected;
        using (var clean = Store.Open("c"))
        {
            expected = SearchAll(clean.LexicalIndex(Bm25Parameters.Default));
        }

        var bytes = File.ReadAllBytes(IndexFile("c"));
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(IndexFile("c"), bytes);
        using var damaged = Store.Open("c");
        var snapshot = damaged.LexicalIndex(Bm25Parameters.Default);
        Assert.False(snapshot.Index.Postings.IsMapped);
        Assert.Equal(expected, SearchAll(snapshot));
        Assert.Contains(_warnings, w => w.Contains("checksum does not match", StringComparison.Ordinal) && w.Contains("rebuilt it from the stored terms", StringComparison.Ordinal));

        File.WriteAllBytes(IndexFile("c"), bytes[..(bytes.Length / 3)]);
        using var truncated = Store.Open("c");
        Assert.Equal(expected, SearchAll(truncated.LexicalIndex(Bm25Parameters.Default)));
    }

    [Fact]
    public void AStaleOrForeignFileIsNotUsed()
    {
        Ingest("c", 100, seed: 3);
        Ingest("other", 100, seed: 4);

        // Another collection's file: same generation, other content.
        File.Copy(IndexFile("other"), IndexFile("c"), overwrite: true);
        using (var c = Store.Open("c"))
        {
            var snapshot = c.LexicalIndex(Bm25Parameters.Default);
            Assert.False(snapshot.Index.Postings.IsMapped);
            Assert.All(snapshot.DocumentIds, id => Assert.StartsWith("c-", id, StringComparison.Ordinal));
        }

        // A write after the file was saved (as when a process is killed before it ends its ingest): one generation behind.
        var saved = File.ReadAllBytes(IndexFile("c"));
        Ingest("c", 100, seed: 5);
        List<List<ScoredSlot>> expected;
        using (var current = Store.Open("c"))
        {
            expected = SearchAll(current.LexicalIndex(Bm25Parameters.Default));
        }

        File.WriteAllBytes(IndexFile("c"), saved);
        using var behind = Store.Open("c");
        var stale = behind.LexicalIndex(Bm25Parameters.Default);
        Assert.False(stale.Index.Postings.IsMapped);
        Assert.Equal(expected, SearchAll(stale));
        Assert.Empty(_warnings);
    }
}
