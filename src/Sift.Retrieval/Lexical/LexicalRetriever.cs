using Sift.Core;
using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Index.Lexical;
using Sift.Index.Storage;

namespace Sift.Retrieval.Lexical;

/// <summary>BM25 retrieval over one collection: analyze the query, score, filter by metadata while scoring.</summary>
public sealed class LexicalRetriever(Collection collection, ITextAnalyzer analyzer, Bm25Parameters? parameters = null) : IRetriever
{
    /// <summary>Longest query accepted, in characters; longer input is almost always a mistake (a pasted file).</summary>
    public const int MaxQueryLength = 4096;

    private readonly Bm25Parameters _parameters = parameters ?? Bm25Parameters.Default;

    public Task<IReadOnlyList<RetrievedChunk>> RetrieveAsync(RetrievalQuery query, CancellationToken cancellationToken = default)
    {
        var snapshot = collection.LexicalIndex(_parameters);
        var slots = SearchSlots(snapshot, query.Text, query.TopK, query.Filter);
        var stored = collection.GetChunks([.. slots.Select(s => snapshot.ChunkIds[s.Slot])]);
        var scores = slots.ToDictionary(s => snapshot.ChunkIds[s.Slot], s => s.Score);
        IReadOnlyList<RetrievedChunk> results = [.. stored.Select((c, i) => new RetrievedChunk(c, scores[c.Id], i + 1))];
        return Task.FromResult(results);
    }

    /// <summary>
    /// The best <paramref name="k"/> documents (a document scores as its best chunk), without reading chunk text:
    /// what evaluation needs, fast enough to run thousands of queries.
    /// </summary>
    public IReadOnlyList<(string DocumentId, double Score)> RankDocuments(string query, int k, MetadataFilter? filter = null)
    {
        var snapshot = collection.LexicalIndex(_parameters);
        var ranked = new List<(string, double)>(k);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // Documents with several chunks use up several slots; widen once if that left fewer than k documents.
        foreach (var depth in new[] { k, k * 4 })
        {
            ranked.Clear();
            seen.Clear();
            var slots = SearchSlots(snapshot, query, depth, filter);
            foreach (var slot in slots)
            {
                var documentId = snapshot.DocumentIds[slot.Slot];
                if (seen.Add(documentId) && ranked.Count < k)
                {
                    ranked.Add((documentId, slot.Score));
                }
            }

            if (ranked.Count >= k || slots.Count < depth)
            {
                break;
            }
        }

        return ranked;
    }

    private IReadOnlyList<ScoredSlot> SearchSlots(LexicalSnapshot snapshot, string query, int k, MetadataFilter? filter)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            throw new SiftException("the query is empty");
        }

        if (query.Length > MaxQueryLength)
        {
            throw new SiftException($"the query is {query.Length} characters long; the limit is {MaxQueryLength}");
        }

        if (k < 1)
        {
            throw new SiftException($"k must be at least 1 (got {k})");
        }

        var terms = analyzer.Analyze(query).Select(t => t.Term).ToList();
        return snapshot.Index.Search(terms, k, AllowedSlots(snapshot, filter));
    }

    private static Func<int, bool>? AllowedSlots(LexicalSnapshot snapshot, MetadataFilter? filter)
    {
        if (filter is null || filter.Conditions.Count == 0)
        {
            return null;
        }

        var byDocument = new Dictionary<string, bool>(StringComparer.Ordinal);
        return slot =>
        {
            var documentId = snapshot.DocumentIds[slot];
            if (!byDocument.TryGetValue(documentId, out var allowed))
            {
                allowed = byDocument[documentId] = filter.Matches(snapshot.DocumentMetadata[documentId]);
            }

            return allowed;
        };
    }
}
