using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Sift.Models.Static;
using Sift.Server.Caching;

namespace Sift.Tests.Server;

/// <summary>The semantic cache stays bounded however many callers (scopes) there are, and forgets old collection versions.</summary>
[Collection(CacheCounters.Name)]
public sealed class ResponseCacheTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddHybridCache().Services.BuildServiceProvider();

    public void Dispose() => _services.Dispose();

    private ResponseCache Cache(int maxEntries) => new(_services.GetRequiredService<HybridCache>(), 0.97, TimeSpan.FromMinutes(10), maxEntries);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ManyCallersShareOneBoundAndTheOldestEntriesGoFirst()
    {
        var cache = Cache(maxEntries: 3);
        var embedder = StaticWordEmbedder.Default;
        var scopes = Enumerable.Range(0, 5).Select(i => new CacheScope("kb", 1, "bm25|10", $"user:{i}")).ToList();
        foreach (var scope in scopes)
        {
            await cache.RememberAsync(scope, "when are salary bands reviewed", $"answer for {scope.Access}", embedder, Cancel);
        }

        Assert.Equal(3, cache.SemanticCount);
        Assert.Null(await cache.FindSimilarAsync<string>(scopes[0], "when are salary bands reviewed", embedder, Cancel));
        Assert.Null(await cache.FindSimilarAsync<string>(scopes[1], "when are salary bands reviewed", embedder, Cancel));
        Assert.Equal("answer for user:4", await cache.FindSimilarAsync<string>(scopes[4], "When are salary bands reviewed?", embedder, Cancel));
        Assert.Null(await cache.FindSimilarAsync<string>(scopes[4], "who approves travel expenses", embedder, Cancel));
    }

    [Fact]
    public async Task AWriteToTheCollectionRetiresItsOlderEntries()
    {
        var cache = Cache(maxEntries: 100);
        var embedder = StaticWordEmbedder.Default;
        await cache.RememberAsync(new CacheScope("kb", 1, "bm25|10", "group:a"), "first question", "old", embedder, Cancel);
        await cache.RememberAsync(new CacheScope("kb", 1, "bm25|10", "group:b"), "second question", "old", embedder, Cancel);
        await cache.RememberAsync(new CacheScope("other", 7, "bm25|10", "group:a"), "first question", "other collection", embedder, Cancel);

        await cache.RememberAsync(new CacheScope("kb", 2, "bm25|10", "group:a"), "third question", "new", embedder, Cancel);

        Assert.Equal(2, cache.SemanticCount);
        Assert.Null(await cache.FindSimilarAsync<string>(new CacheScope("kb", 1, "bm25|10", "group:a"), "first question", embedder, Cancel));
        Assert.Equal("other collection", await cache.FindSimilarAsync<string>(new CacheScope("other", 7, "bm25|10", "group:a"), "first question", embedder, Cancel));
    }
}
