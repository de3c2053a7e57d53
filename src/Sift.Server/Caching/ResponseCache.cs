using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Hybrid;
using Sift.Core.Stages;
using Sift.Core.Telemetry;

namespace Sift.Server.Caching;

/// <summary>
/// What a cached result may be reused for: the same collection at the same version, the same options, and the same
/// caller access (callers who may see different documents never share an entry). A write to the collection changes
/// its version, so every older entry stops matching.
/// </summary>
public sealed record CacheScope(string Collection, long Generation, string Options, string Access)
{
    public string Key => $"{Collection}\n{Generation}\n{Options}\n{Access}";
}

/// <summary>
/// Two caches in front of search and ask. Exact: the normalised query text within a scope, through
/// Microsoft.Extensions.Caching.Hybrid (in process; a distributed backend such as Redis plugs in beneath it).
/// Semantic (ask only): a question whose embedding is at least <c>threshold</c> cosine-similar to a cached one in the
/// same scope gets that answer. Hits and misses are counted in sift.cache.requests.
/// </summary>
public sealed class ResponseCache(HybridCache cache, double threshold, TimeSpan ttl, int entriesPerScope = 1000)
{
    private readonly ConcurrentDictionary<string, SemanticEntries> _semantic = new(StringComparer.Ordinal);

    public async Task<(T Value, bool Hit)> GetOrCreateAsync<T>(string kind, CacheScope scope, string query, Func<CancellationToken, Task<T>> create, CancellationToken cancellationToken)
    {
        var created = false;
        var key = $"sift:{kind}:{Hash(scope.Key + "\n" + Normalise(query))}";
        var value = await cache.GetOrCreateAsync(
            key,
            async cancel =>
            {
                created = true;
                return await create(cancel).ConfigureAwait(false);
            },
            new HybridCacheEntryOptions { Expiration = ttl, LocalCacheExpiration = ttl },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        Count("exact", !created);
        return (value, !created);
    }

    /// <summary>The cached value of the most similar earlier query in the scope, when similar enough.</summary>
    public async Task<T?> FindSimilarAsync<T>(CacheScope scope, string query, IEmbeddingGenerator<string, Embedding<float>> embedder, CancellationToken cancellationToken)
        where T : class
    {
        var vector = await EmbedAsync(embedder, query, cancellationToken).ConfigureAwait(false);
        var found = _semantic.TryGetValue(scope.Key, out var entries) ? entries.Best(vector, threshold) as T : null;
        Count("semantic", found is not null);
        return found;
    }

    public async Task RememberAsync(CacheScope scope, string query, object value, IEmbeddingGenerator<string, Embedding<float>> embedder, CancellationToken cancellationToken)
    {
        var vector = await EmbedAsync(embedder, query, cancellationToken).ConfigureAwait(false);
        // Entries of older versions of the collection can never match again: drop them.
        foreach (var stale in _semantic.Keys.Where(k => k.StartsWith(scope.Collection + "\n", StringComparison.Ordinal) && k != scope.Key))
        {
            if (!stale.StartsWith($"{scope.Collection}\n{scope.Generation}\n", StringComparison.Ordinal))
            {
                _semantic.TryRemove(stale, out _);
            }
        }

        _semantic.GetOrAdd(scope.Key, _ => new SemanticEntries(entriesPerScope, ttl)).Add(vector, value);
    }

    public static string Normalise(string query) =>
        string.Join(' ', query.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static async Task<float[]> EmbedAsync(IEmbeddingGenerator<string, Embedding<float>> embedder, string query, CancellationToken cancellationToken) =>
        (await embedder.EmbedAsync([Normalise(query)], Embedders.ForQueries, cancellationToken).ConfigureAwait(false))[0];

    private static void Count(string kind, bool hit) =>
        SiftTelemetry.CacheRequests.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>A bounded list of (vector, value), oldest evicted first, entries expiring after the TTL.</summary>
    private sealed class SemanticEntries(int capacity, TimeSpan ttl)
    {
        private readonly LinkedList<(float[] Vector, object Value, DateTimeOffset Expires)> _entries = new();
        private readonly Lock _gate = new();

        public void Add(float[] vector, object value)
        {
            lock (_gate)
            {
                _entries.AddFirst((vector, value, DateTimeOffset.UtcNow + ttl));
                while (_entries.Count > capacity)
                {
                    _entries.RemoveLast();
                }
            }
        }

        public object? Best(float[] vector, double threshold)
        {
            lock (_gate)
            {
                var now = DateTimeOffset.UtcNow;
                object? best = null;
                var bestSimilarity = threshold;
                foreach (var (entryVector, value, expires) in _entries)
                {
                    if (expires < now)
                    {
                        continue;
                    }

                    var similarity = System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(entryVector, vector);
                    if (similarity >= bestSimilarity)
                    {
                        (best, bestSimilarity) = (value, similarity);
                    }
                }

                return best;
            }
        }
    }
}
