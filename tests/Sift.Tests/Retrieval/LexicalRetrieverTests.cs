using Sift.Core;
using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Index.Analysis;
using Sift.Index.Storage;
using Sift.Ingest;
using Sift.Ingest.Chunking;
using Sift.Ingest.Loading;
using Sift.Retrieval;
using Sift.Retrieval.Lexical;
using Sift.Retrieval.Snippets;
using Sift.Tests.Support;

namespace Sift.Tests.Retrieval;

public sealed class LexicalRetrieverTests : IDisposable
{
    private static readonly EnglishTextAnalyzer Analyzer = new();
    private readonly TempFolder _folder = new();
    private readonly Collection _collection;
    private readonly Retriever _retriever;

    public LexicalRetrieverTests()
    {
        _folder.File("corpus.jsonl", """
            {"_id": "en-1", "title": "Running shoes", "text": "How runners choose shoes for long runs.", "metadata": {"lang": "en", "team": "a"}}
            {"_id": "en-2", "title": "Swimming", "text": "Pool training for swimmers.", "metadata": {"lang": "en", "team": "b"}}
            {"_id": "de-1", "title": "Laufschuhe", "text": "Running shoes in German: Laufschuhe.", "metadata": {"lang": "de", "team": "a"}}
            {"_id": "fr-1", "title": "Chaussures", "text": "Running shoes in French.", "metadata": {"lang": "fr", "team": "c"}}
            """);
        _collection = new CollectionStore(_folder.Combine("store"), Analyzer).OpenOrCreate("c");
        new IngestPipeline(LoaderRegistry.Default, new WholeDocumentChunker(), _collection, _collection.Embedder).RunAsync(new IngestRequest(_folder.Combine("corpus.jsonl"))).GetAwaiter().GetResult();
        _retriever = new Retriever(_collection, new LexicalRanker(_collection, Analyzer));
    }

    public void Dispose()
    {
        _collection.Dispose();
        _folder.Dispose();
    }

    private Task<RetrievalResults> Search(string query, int k = 10, params string[] filter) =>
        _retriever.RetrieveAsync(new RetrievalQuery(query, k, filter.Length > 0 ? MetadataFilter.Parse(filter) : null), TestContext.Current.CancellationToken);

    [Fact]
    public async Task StemmingMatchesOtherFormsOfTheWordAndTitlesCount()
    {
        var hits = await Search("runner shoe");
        Assert.Equal("en-1", hits[0].Chunk.DocumentId);
        Assert.Equal([1, 2, 3], hits.Take(3).Select(h => h.Rank));
        Assert.True(hits[0].Score >= hits[1].Score);
    }

    [Fact]
    public async Task EqualityFilterKeepsOnlyMatchingDocuments()
    {
        var hits = await Search("running shoes", 10, "lang=de");
        Assert.Equal("de-1", Assert.Single(hits).Chunk.DocumentId);
    }

    [Fact]
    public async Task RepeatedKeyIsSetMembershipAndDifferentKeysMustAllMatch()
    {
        var either = await Search("running shoes", 10, "lang=de", "lang=fr");
        Assert.Equal(["de-1", "fr-1"], either.Select(h => h.Chunk.DocumentId).Order(StringComparer.Ordinal));

        var both = await Search("running shoes", 10, "lang=de", "lang=fr", "team=c");
        Assert.Equal("fr-1", Assert.Single(both).Chunk.DocumentId);
    }

    [Fact]
    public async Task FilterIsAppliedWhileScoringSoTopKIsFullOfMatchingDocuments()
    {
        // With k = 1 an over-fetch-then-filter design would return nothing: en-1 outranks de-1.
        var hits = await Search("running shoes runners", 1, "lang=de");
        Assert.Equal("de-1", Assert.Single(hits).Chunk.DocumentId);
    }

    [Fact]
    public async Task EmptyOrOversizedQueryIsAUserError()
    {
        await Assert.ThrowsAsync<SiftException>(() => Search("   "));
        await Assert.ThrowsAsync<SiftException>(() => Search(new string('a', Retriever.MaxQueryLength + 1)));
    }

    [Fact]
    public async Task DocumentRankingAgreesWithChunkSearch()
    {
        var documents = await _retriever.RankDocumentsAsync("running shoes", 2, cancellationToken: TestContext.Current.CancellationToken);
        var chunks = await Search("running shoes", 10);

        // One chunk per document here, so the document ranking is the chunk ranking's first two, with the same scores.
        Assert.Equal(chunks.Take(2).Select(c => (c.Chunk.DocumentId, c.Score)), documents);
    }

    [Fact]
    public async Task NewDocumentsAreSearchableWithoutReopening()
    {
        Assert.Empty(await Search("kayak"));
        _folder.File("more.jsonl", """{"_id": "k", "title": "Kayak", "text": "Sea kayak trips."}""");
        await new IngestPipeline(LoaderRegistry.Default, new WholeDocumentChunker(), _collection, _collection.Embedder).RunAsync(new IngestRequest(_folder.Combine("more.jsonl")), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("k", Assert.Single(await Search("kayak")).Chunk.DocumentId);
    }

    [Fact]
    public void SnippetHighlightsStemmedMatchesInTheBestWindow()
    {
        var text = string.Join(' ', Enumerable.Repeat("filler words here.", 40)) + " The runners were running fast. " + string.Join(' ', Enumerable.Repeat("more filler.", 40));
        var snippet = new SnippetBuilder(Analyzer, width: 80).For("run")(text);

        var highlighted = snippet.Highlights.Select(h => snippet.Text.Substring(h.Start, h.Length)).ToList();
        Assert.Equal(["running"], highlighted);
        Assert.StartsWith("…", snippet.Text, StringComparison.Ordinal);
        Assert.True(snippet.Text.Length <= 82);
    }

    [Fact]
    public void MatchingTermsInPlaceFindsExactlyTheTokensFullAnalysisWouldKeep()
    {
        var text = "The runner's runs were RUNNING; cats & dogs ran — café résumé, naïve co-operation in 2024. Running again!";
        HashSet<string> terms = ["run", "cat", "café", "2024", "oper", "absent"];

        var expected = Analyzer.Analyze(text).Where(t => terms.Contains(t.Term)).ToList();

        Assert.NotEmpty(expected);
        Assert.Equal(expected, Analyzer.Matches(text, terms));
    }
}
