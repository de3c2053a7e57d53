using Sift.Core;
using Sift.Core.Stages;
using Sift.Models.Remote;
using Sift.Tests.Support;

namespace Sift.Tests.Models;

/// <summary>The remote embedder against a real HTTP server on loopback speaking the /v1/embeddings protocol.</summary>
public sealed class OpenAiCompatibleEmbedderTests
{
    private static OpenAiCompatibleEmbedder Embedder(LoopbackEmbeddingsServer server, int batchSize = 4, int retries = 3) =>
        new(new OpenAiEndpoint(server.BaseUrl, "test-embed", "secret-key", batchSize, retries, TimeSpan.FromSeconds(10)));

    [Fact]
    public async Task SplitsIntoBatchesAndKeepsOrder()
    {
        await using var server = new LoopbackEmbeddingsServer();
        using var embedder = Embedder(server, batchSize: 4);
        var texts = Enumerable.Range(0, 10).Select(i => new string('e', i) + " text").ToList();

        var vectors = await embedder.EmbedAsync(texts, Embedders.ForDocuments, TestContext.Current.CancellationToken);

        Assert.Equal([4, 4, 2], server.BatchSizes);
        Assert.All(texts.Zip(vectors), p => Assert.Equal(LoopbackEmbeddingsServer.Expected(p.First), p.Second));
        Assert.All(server.Authorizations, a => Assert.Equal("Bearer secret-key", a));
        Assert.Equal("openai/test-embed/?", Embedders.Identity(embedder));
    }

    [Fact]
    public async Task RetriesRateLimitsAndServerErrorsThenSucceeds()
    {
        await using var server = new LoopbackEmbeddingsServer();
        server.Failures.Enqueue((429, 0));
        server.Failures.Enqueue((503, null));
        using var embedder = Embedder(server);

        var vectors = await embedder.EmbedAsync(["hello"], Embedders.ForQueries, TestContext.Current.CancellationToken);

        Assert.Equal(LoopbackEmbeddingsServer.Expected("hello"), vectors[0]);
        Assert.Equal(3, server.Requests);
    }

    [Fact]
    public async Task GivesUpWithAClearErrorWhenRetriesRunOutOrTheRequestIsRejected()
    {
        await using var server = new LoopbackEmbeddingsServer();
        server.Failures.Enqueue((500, null));
        server.Failures.Enqueue((500, null));
        using var embedder = Embedder(server, retries: 1);
        var exhausted = await Assert.ThrowsAsync<SiftException>(() => embedder.EmbedAsync(["x"], Embedders.ForQueries, TestContext.Current.CancellationToken));
        Assert.Contains("HTTP 500", exhausted.Message, StringComparison.Ordinal);
        Assert.Equal(2, server.Requests);

        server.Failures.Enqueue((401, null));
        var rejected = await Assert.ThrowsAsync<SiftException>(() => embedder.EmbedAsync(["x"], Embedders.ForQueries, TestContext.Current.CancellationToken));
        Assert.Contains("HTTP 401", rejected.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-key", rejected.Message, StringComparison.Ordinal);
    }
}
