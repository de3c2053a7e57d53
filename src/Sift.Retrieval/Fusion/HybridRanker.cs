using Sift.Core.Filtering;
using Sift.Core.Storage;
using Sift.Core.Telemetry;
using Sift.Retrieval.Ranking;

namespace Sift.Retrieval.Fusion;

/// <summary>
/// Runs several rankers for the same query, each to <c>depth</c> results (the candidate pool), and fuses them into
/// the best k. The pool does not grow with k, so a pool tuned on judged queries (sift tune) is the pool every search
/// and evaluation runs; k beyond what the pools hold returns fewer results.
/// </summary>
public sealed class HybridRanker(IReadOnlyList<IChunkRanker> rankers, IReadOnlyList<double> weights, IRankFusion fusion, int depth = RetrievalSettings.DefaultFusionDepth) : IChunkRanker
{
    public string Name => $"hybrid-{fusion.Name}{(rankers.Any(r => r.Name.EndsWith("+rm3", StringComparison.Ordinal)) ? "+rm3" : "")}";

    /// <summary>The fusion and its weights, e.g. "rrf k=60, weights bm25 0.5 / dense 0.5", for run provenance.</summary>
    public string Settings => $"{fusion.Settings}, weights {string.Join(" / ", rankers.Select((r, i) => FormattableString.Invariant($"{r.Name} {weights[i]:0.###}")))}, pool {depth}";

    public async Task<IReadOnlyList<ChunkScore>> RankAsync(string query, int k, MetadataFilter? filter, CancellationToken cancellationToken)
    {
        var rankings = await Task.WhenAll(rankers.Select(r => r.RankAsync(query, depth, filter, cancellationToken))).ConfigureAwait(false);
        using var stage = SiftTelemetry.Start("fuse");
        return fusion.Fuse(rankings, weights, k);
    }
}
