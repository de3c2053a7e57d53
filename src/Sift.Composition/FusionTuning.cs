using System.Diagnostics;
using Sift.Core;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Metrics;
using Sift.Retrieval;
using Sift.Retrieval.Dense;
using Sift.Retrieval.Fusion;

namespace Sift.Composition;

/// <summary>A hybrid setting tried by <see cref="FusionTuning"/> and its mean nDCG@10 over the judged queries.</summary>
public sealed record FusionChoice(string Fusion, double DenseWeight, int Depth, double Ndcg10);

/// <summary>The best setting, what the BM25 stage and dense alone measured on the same queries, and every setting tried.</summary>
public sealed record FusionTuningResult(FusionChoice Best, double Bm25, double Dense, IReadOnlyList<FusionChoice> Tried, int Queries, TimeSpan Elapsed);

/// <summary>
/// Hybrid search tuned per collection from judged queries: each query's BM25 stage (the collection's, RM3 when it
/// expands) and dense ranking read once (to the deepest pool tried), then every fusion (RRF, weighted min-max), dense
/// weight (0 to 1 by 0.1) and candidate pool fused from them and scored by nDCG@10, as hybrid search would fuse them.
/// RRF with dense weight 0 keeps the BM25 stage's order at the top, so the best setting is never below it on the
/// queries it was chosen on; what it does on others is what a test split says.
/// </summary>
public static class FusionTuning
{
    public static IReadOnlyList<int> Depths { get; } = [20, 50, 100, 200];

    public static IReadOnlyList<double> Weights { get; } = [.. Enumerable.Range(0, 11).Select(i => i / 10.0)];

    public static async Task<FusionTuningResult> TuneAsync(IChunkStore collection, ITextAnalyzer analyzer, BeirDataset data, CancellationToken cancellationToken)
    {
        if (collection.Embedder is null)
        {
            throw new SiftException($"'{collection.Name}' has no vectors (embedder {collection.EmbedderSpec ?? "none"}): hybrid search needs a collection embedded with an embedder");
        }

        // As many judged queries as a learned ranker needs: fewer choose a setting by noise.
        if (data.Queries.Count < LearnedRankers.MinQueries)
        {
            throw new SiftException($"{data.Name} ({data.Split}) has {data.Queries.Count} judged queries: tuning needs at least {LearnedRankers.MinQueries}");
        }

        var started = Stopwatch.StartNew();
        var lexical = RetrieverFactory.Lexical(collection, analyzer, RetrievalSettings.For(collection));
        var dense = new DenseRanker(collection);
        var pool = Depths.Max();
        var rankings = new List<JudgedRankings>();
        foreach (var (id, text) in data.Queries)
        {
            rankings.Add(new JudgedRankings(
                data.Qrels[id],
                await lexical.RankAsync(text, pool, null, cancellationToken).ConfigureAwait(false),
                await dense.RankAsync(text, pool, null, cancellationToken).ConfigureAwait(false)));
        }

        var found = rankings.Count(r => r.Lexical.Concat(r.Dense).Any(c => r.Judged.GetValueOrDefault(c.DocumentId) > 0));
        if (found * 2 < rankings.Count)
        {
            throw new SiftException($"fewer than half of {data.Name}'s {data.Split} queries find a relevant document in the top {pool} of '{collection.Name}': tune on the collection that holds the dataset's corpus");
        }

        double Mean(Func<JudgedRankings, IReadOnlyList<ChunkScore>> ranked) =>
            rankings.Average(r => RetrievalMetrics.Ndcg([.. ranked(r).Select(c => c.DocumentId).Distinct(StringComparer.Ordinal)], r.Judged, 10));

        var tried = new List<FusionChoice>();
        foreach (var (name, fusion) in new (string, IRankFusion)[] { ("rrf", new ReciprocalRankFusion()), ("weighted", new MinMaxScoreFusion()) })
        {
            foreach (var depth in Depths)
            {
                foreach (var weight in Weights)
                {
                    // The top 10 documents from the best 40 chunks, as an evaluation ranks documents (a document counts once).
                    var ndcg = Mean(r => fusion.Fuse([Take(r.Lexical, depth), Take(r.Dense, depth)], [1 - weight, weight], 40));
                    tried.Add(new FusionChoice(name, weight, depth, ndcg));
                }
            }
        }

        // Ties go to the least dense weight, then the shallower pool: the cheaper, more BM25-like setting.
        var best = tried.OrderByDescending(t => Math.Round(t.Ndcg10, 6)).ThenBy(t => t.DenseWeight).ThenBy(t => t.Depth).ThenBy(t => t.Fusion, StringComparer.Ordinal).First();
        return new FusionTuningResult(best, Mean(r => r.Lexical), Mean(r => r.Dense), tried, rankings.Count, started.Elapsed);
    }

    /// <summary><paramref name="settings"/> with <paramref name="choice"/>'s fusion, weight and pool.</summary>
    public static CollectionSettings Apply(CollectionSettings settings, FusionChoice choice) =>
        settings with { Fusion = choice.Fusion, DenseWeight = choice.DenseWeight, FusionDepth = choice.Depth };

    private sealed record JudgedRankings(IReadOnlyDictionary<string, int> Judged, IReadOnlyList<ChunkScore> Lexical, IReadOnlyList<ChunkScore> Dense);

    private static IReadOnlyList<ChunkScore> Take(IReadOnlyList<ChunkScore> ranking, int depth) => ranking.Count > depth ? [.. ranking.Take(depth)] : ranking;
}
