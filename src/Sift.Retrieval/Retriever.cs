using Sift.Core;
using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Core.Telemetry;
using Sift.Retrieval.Fusion;
using Sift.Retrieval.Ranking;

namespace Sift.Retrieval;

/// <summary>
/// The retrieval stage: validates the query, ranks chunks with any <see cref="IChunkRanker"/>, reads the winners'
/// text and provenance from the collection, and optionally reorders the top <c>rerankDepth</c> with a reranker. With
/// an analyzer, and when the query asks, it also measures how much of the query the best chunk covers
/// (<see cref="RetrievalResults.QueryCoverage"/>).
/// </summary>
/// <param name="lexicalParameters">The BM25 parameters the collection's lexical index is loaded with (coverage reads its IDF from the same snapshot).</param>
public sealed class Retriever(
    IChunkStore collection, IChunkRanker ranker, IReranker? reranker = null, int rerankDepth = 50, ITextAnalyzer? analyzer = null,
    Bm25Parameters? lexicalParameters = null) : IRetriever
{
    /// <summary>Longest query accepted, in characters; longer input is almost always a mistake (a pasted file).</summary>
    public const int MaxQueryLength = 4096;

    public string Name => reranker is null ? ranker.Name : $"{ranker.Name}+rerank";

    /// <summary>How results are fused ("none" for a single ranker), for run provenance.</summary>
    public string Fusion => ranker is HybridRanker hybrid ? hybrid.Settings : "none";

    /// <summary>The reranker and its depth ("none" without one), for run provenance.</summary>
    public string Reranker => reranker is null ? "none" : $"{reranker.Name} (top {rerankDepth})";

    public async Task<RetrievalResults> RetrieveAsync(RetrievalQuery query, CancellationToken cancellationToken = default)
    {
        var depth = reranker is null ? query.TopK : Math.Max(query.TopK, rerankDepth);
        var ranked = await RankAsync(query.Text, depth, query.Filter, cancellationToken).ConfigureAwait(false);
        var stored = collection.GetChunks([.. ranked.Select(r => r.ChunkId)]);
        var scores = ranked.ToDictionary(r => r.ChunkId, r => r.Score);
        IReadOnlyList<RetrievedChunk> retrieved = [.. stored.Select((chunk, i) => new RetrievedChunk(chunk, scores[chunk.Id], i + 1))];
        string? degraded = null;
        if (reranker is not null && retrieved.Count > 0)
        {
            using var stage = SiftTelemetry.Start("rerank");
            try
            {
                retrieved = await reranker.RerankAsync(query.Text, retrieved, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A broken reranker must not take search down: keep the first-stage order and say so.
                degraded = $"reranker {reranker.Name} failed ({ex.GetType().Name}: {ex.Message.Split('\n')[0]}); results are in first-stage order";
                stage.Activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, degraded);
            }
        }

        if (retrieved.Count > 0)
        {
            SiftTelemetry.TopScore.Record(retrieved[0].Score);
        }

        return new RetrievalResults([.. retrieved.Take(query.TopK)], degraded, query.MeasureCoverage && retrieved.Count > 0 ? Coverage(query, retrieved[0].Chunk) : null);
    }

    /// <summary>
    /// The IDF-weighted share of the query's distinct terms that the chunk (with its title) contains, IDF taken over
    /// what the caller may see, leaving out how a question is worded. Null without an analyzer or for a query with no
    /// other terms.
    /// </summary>
    private double? Coverage(RetrievalQuery query, Core.Documents.StoredChunk best)
    {
        if (analyzer is null)
        {
            return null;
        }

        var everyday = Index.Analysis.QuestionWording.Terms(analyzer);
        var terms = analyzer.Analyze(query.Text).Select(t => t.Term).Where(t => !everyday.Contains(t)).Distinct(StringComparer.Ordinal).ToList();
        if (terms.Count == 0)
        {
            return null;
        }

        var index = collection.LexicalIndex(lexicalParameters ?? Bm25Parameters.Default);
        var present = analyzer.Matches(Core.Documents.ModelText.Of(best), [.. terms]).Select(t => t.Term).ToHashSet(StringComparer.Ordinal);
        double total = 0, covered = 0;
        foreach (var term in terms)
        {
            var weight = index.Idf(term, query.Filter?.Access);
            total += weight;
            covered += present.Contains(term) ? weight : 0;
        }

        return total > 0 ? covered / total : null;
    }

    /// <summary>
    /// The best <paramref name="k"/> documents (a document scores as its best chunk), without reading chunk text:
    /// what evaluation needs, fast enough to run thousands of queries.
    /// </summary>
    public async Task<IReadOnlyList<(string DocumentId, double Score)>> RankDocumentsAsync(
        string query, int k, MetadataFilter? filter = null, CancellationToken cancellationToken = default)
    {
        if (reranker is not null)
        {
            // The reranker needs chunk text: rerank the top chunks, then the rest keep their first-stage order below.
            var reranked = await RetrieveAsync(new RetrievalQuery(query, rerankDepth, filter), cancellationToken).ConfigureAwait(false);
            var top = reranked.Select(r => r.Chunk.DocumentId).Distinct().ToList();
            var rest = (await RankAsync(query, k * 4, filter, cancellationToken).ConfigureAwait(false))
                .Select(r => r.DocumentId).Where(d => !top.Contains(d)).Distinct();
            return [.. top.Concat(rest).Take(k).Select((d, i) => (d, (double)(k - i)))];
        }

        var ranked = new List<(string, double)>(k);
        // Documents with several chunks use up several places; widen once if that left fewer than k documents.
        foreach (var depth in new[] { k, k * 4 })
        {
            ranked.Clear();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var chunks = await RankAsync(query, depth, filter, cancellationToken).ConfigureAwait(false);
            foreach (var chunk in chunks)
            {
                if (seen.Add(chunk.DocumentId) && ranked.Count < k)
                {
                    ranked.Add((chunk.DocumentId, chunk.Score));
                }
            }

            if (ranked.Count >= k || chunks.Count < depth)
            {
                break;
            }
        }

        return ranked;
    }

    private Task<IReadOnlyList<ChunkScore>> RankAsync(string query, int k, MetadataFilter? filter, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            throw new SiftException("the query is empty");
        }

        if (query.Length > MaxQueryLength)
        {
            throw new SiftException($"the query is {query.Length} characters long; the limit is {MaxQueryLength}");
        }

        return k < 1 ? throw new InvalidOptionException("k", $"must be at least 1 (got {k})") : ranker.RankAsync(query, k, filter, cancellationToken);
    }
}
