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
    /// <summary>The parts as a JSON array: no choice of values can make two different scopes collide.</summary>
    public string Key => System.Text.Json.JsonSerializer.Serialize(new object[] { Collection, Generation, Options, Access });
}

/// <summary>
/// Two caches in front of search and ask. Exact: the normalised query text within a scope, through
/// Microsoft.Extensions.Caching.Hybrid (in process; a distributed backend such as Redis plugs in beneath it).
/// Semantic (ask only): a question whose embedding is at least <c>threshold</c> cosine-similar to a cached one in the
/// same scope gets that answer. Hits and misses are counted in sift.cache.requests.
/// </summary>
/// <param name="maxSemanticEntries">
/// Semantic entries kept across all scopes; with many callers (each principal set is its own scope) the oldest go
/// first, so memory stays bounded however many users there are.
/// </param>
public sealed class ResponseCache(HybridCache cache, double threshold, TimeSpan ttl, int maxSemanticEntries = 2000)
{
    private readonly SemanticEntries _semantic = new(maxSemanticEntries, ttl);

    /// <summary>Semantic entries held now (all scopes).</summary>
    public int SemanticCount => _semantic.Count;

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
        var found = _semantic.Best(scope, vector, threshold) as T;
        Count("semantic", found is not null);
        return found;
    }

    public async Task RememberAsync(CacheScope scope, string query, object value, IEmbeddingGenerator<string, Embedding<float>> embedder, CancellationToken cancellationToken)
    {
        var vector = await EmbedAsync(embedder, query, cancellationToken).ConfigureAwait(false);
        _semantic.Add(scope, vector, value);
    }

    public static string Normalise(string query) =>
        string.Join(' ', query.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static async Task<float[]> EmbedAsync(IEmbeddingGenerator<string, Embedding<float>> embedder, string query, CancellationToken cancellationToken) =>
        (await embedder.EmbedAsync([Normalise(query)], Embedders.ForQueries, cancellationToken).ConfigureAwait(false))[0];

    private static void Count(string kind, bool hit) =>
        SiftTelemetry.CacheRequests.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>
    /// (vector, value) entries by scope, at most <c>capacity</c> in all. Every entry lives as long (the TTL), so
    /// insertion order is expiry order: one queue over all scopes finds both the expired and, when full, the oldest.
    /// The first entry for a newer version of a collection retires that collection's older versions, which can never
    /// match again.
    /// </summary>
    private sealed class SemanticEntries(int capacity, TimeSpan ttl)
    {
        private readonly Dictionary<CacheScope, LinkedList<Entry>> _byScope = [];
        private readonly Dictionary<string, long> _newestGeneration = new(StringComparer.Ordinal);
        private readonly LinkedList<Entry> _byAge = new();
        private readonly Lock _gate = new();

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _byAge.Count;
                }
            }
        }

        public void Add(CacheScope scope, float[] vector, object value)
        {
            lock (_gate)
            {
                if (_newestGeneration.GetValueOrDefault(scope.Collection, long.MinValue) < scope.Generation)
                {
                    _newestGeneration[scope.Collection] = scope.Generation;
                    Retire(scope.Collection, scope.Generation);
                }

                var now = DateTimeOffset.UtcNow;
                while (_byAge.First is { } oldest && (oldest.Value.Expires < now || _byAge.Count >= capacity))
                {
                    Remove(oldest.Value);
                }

                if (!_byScope.TryGetValue(scope, out var entries))
                {
                    _byScope[scope] = entries = new LinkedList<Entry>();
                }

                var entry = new Entry(scope, vector, value, now + ttl);
                entry.InScope = entries.AddFirst(entry);
                entry.InAge = _byAge.AddLast(entry);
            }
        }

        public object? Best(CacheScope scope, float[] vector, double threshold)
        {
            lock (_gate)
            {
                if (!_byScope.TryGetValue(scope, out var entries))
                {
                    return null;
                }

                var now = DateTimeOffset.UtcNow;
                object? best = null;
                var bestSimilarity = threshold;
                foreach (var entry in entries)
                {
                    if (entry.Expires < now)
                    {
                        break; // newest first: the rest are older still
                    }

                    var similarity = System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(entry.Vector, vector);
                    if (similarity >= bestSimilarity)
                    {
                        (best, bestSimilarity) = (entry.Value, similarity);
                    }
                }

                return best;
            }
        }

        /// <summary>Drops the collection's entries of versions older than <paramref name="generation"/> (under the lock).</summary>
        private void Retire(string collection, long generation)
        {
            foreach (var entries in _byScope.Where(s => s.Key.Collection == collection && s.Key.Generation < generation).Select(s => s.Value).ToList())
            {
                while (entries.First is { } node)
                {
                    Remove(node.Value);
                }
            }
        }

        private void Remove(Entry entry)
        {
            var entries = _byScope[entry.Scope];
            entries.Remove(entry.InScope!);
            if (entries.Count == 0)
            {
                _byScope.Remove(entry.Scope);
            }

            _byAge.Remove(entry.InAge!);
        }

        private sealed class Entry(CacheScope scope, float[] vector, object value, DateTimeOffset expires)
        {
            public CacheScope Scope { get; } = scope;

            public float[] Vector { get; } = vector;

            public object Value { get; } = value;

            public DateTimeOffset Expires { get; } = expires;

            public LinkedListNode<Entry>? InScope { get; set; }

            public LinkedListNode<Entry>? InAge { get; set; }
        }
    }
}
