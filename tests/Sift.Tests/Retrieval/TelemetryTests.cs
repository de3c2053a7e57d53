using System.Diagnostics;
using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Core.Telemetry;
using Sift.Generation;
using Sift.Generation.Citations;
using Sift.Generation.Context;
using Sift.Generation.Extractive;
using Sift.Index.Analysis;
using Sift.Index.Storage;
using Sift.Ingest;
using Sift.Ingest.Chunking;
using Sift.Ingest.Loading;
using Sift.Models.Static;
using Sift.Retrieval;
using Sift.Tests.Support;

namespace Sift.Tests.Retrieval;

/// <summary>Every pipeline stage emits its span, and access scopes hide documents inside ranking in every mode.</summary>
public sealed class TelemetryTests : IDisposable
{
    private static readonly EnglishTextAnalyzer Analyzer = new();
    private readonly TempFolder _folder = new();
    private readonly Collection _collection;

    public TelemetryTests()
    {
        _folder.File("docs/open.txt", "Reciprocal rank fusion merges rankings by position.");
        _folder.File("docs/secret.txt", "Reciprocal rank fusion is used by the secret project.");
        _collection = new CollectionStore(_folder.Combine("store"), Analyzer).OpenOrCreate("c");
        _collection.UseEmbedder("glove", StaticWordEmbedder.Default);
        var pipeline = new IngestPipeline(LoaderRegistry.Default, new WholeDocumentChunker(), _collection, _collection.Embedder);
        pipeline.RunAsync(new IngestRequest(_folder.Combine("docs/open.txt"))).GetAwaiter().GetResult();
        pipeline.RunAsync(new IngestRequest(_folder.Combine("docs/secret.txt"), Metadata: new Dictionary<string, string> { [AccessScope.MetadataKey] = AccessScope.Encode(["group:secret"]) })).GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        _collection.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task AskEmitsOneSpanPerStage()
    {
        var names = new List<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == SiftTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity => { lock (names) { names.Add(activity.OperationName); } },
        };
        ActivitySource.AddActivityListener(listener);
        var retriever = RetrieverFactory.Create(_collection, Analyzer, new RetrievalSettings("hybrid"));
        var ask = new AskPipeline(retriever, new ContextAssembler(ContextAssembler.DefaultTokenizer), new ExtractiveAnswerer(Analyzer), new CitationChecker());

        await ask.AskAsync("what does reciprocal rank fusion merge?", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(["assemble", "bm25", "cite-check", "embed", "fuse", "generate", "vector"], names.Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AFailingRerankerKeepsTheFirstStageOrderAndTheAnswerSaysItIsDegraded()
    {
        var plain = RetrieverFactory.Create(_collection, Analyzer, new RetrievalSettings("bm25"));
        var reranked = RetrieverFactory.Create(_collection, Analyzer, new RetrievalSettings("bm25", Reranker: new BrokenReranker()));
        var query = new RetrievalQuery("reciprocal rank fusion", 10, MetadataFilter.For(new AccessScope(["group:secret"])));

        var expected = await plain.RetrieveAsync(query, TestContext.Current.CancellationToken);
        var results = await reranked.RetrieveAsync(query, TestContext.Current.CancellationToken);

        Assert.Equal(expected.Select(r => (r.Chunk.Id, r.Score)), results.Select(r => (r.Chunk.Id, r.Score)));
        Assert.Null(expected.Degraded);
        Assert.Contains("reranker broken failed", results.Degraded, StringComparison.Ordinal);
        var ask = new AskPipeline(reranked, new ContextAssembler(ContextAssembler.DefaultTokenizer), new ExtractiveAnswerer(Analyzer), new CitationChecker());
        var answer = await ask.AskAsync("what does reciprocal rank fusion merge?", cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(answer.Flags.Degraded);
        Assert.Contains("first-stage order", answer.Flags.Note, StringComparison.Ordinal);
    }

    private sealed class BrokenReranker : IReranker
    {
        public string Name => "broken";

        public Task<IReadOnlyList<RetrievedChunk>> RerankAsync(string query, IReadOnlyList<RetrievedChunk> candidates, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the model file is corrupt");
    }

    [Theory]
    [InlineData("bm25")]
    [InlineData("dense")]
    [InlineData("hybrid")]
    public async Task AnAccessScopeHidesDocumentsInEveryMode(string mode)
    {
        var retriever = RetrieverFactory.Create(_collection, Analyzer, new RetrievalSettings(mode));
        async Task<List<string>> Documents(AccessScope access) =>
            [.. (await retriever.RetrieveAsync(new RetrievalQuery("reciprocal rank fusion", 10, MetadataFilter.For(access)), TestContext.Current.CancellationToken)).Select(r => r.Chunk.DocumentId)];

        Assert.Equal(["open.txt"], await Documents(new AccessScope(["group:other"])));
        Assert.Equal(["open.txt", "secret.txt"], (await Documents(new AccessScope(["group:secret"]))).Order(StringComparer.Ordinal));
        Assert.Throws<Core.SiftException>(() => AccessScope.Encode(["a,b"]));
    }
}
