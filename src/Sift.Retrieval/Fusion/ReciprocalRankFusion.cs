using Sift.Core.Storage;
using Sift.Retrieval.Ranking;

namespace Sift.Retrieval.Fusion;

/// <summary>
/// Reciprocal-rank fusion (Cormack, Clarke and Büttcher 2009): a chunk earns weight / (k + rank) from every ranking
/// it appears in (rank from 1). Uses positions only, so scores on different scales need no calibration.
/// </summary>
public sealed class ReciprocalRankFusion(int rankConstant = 60) : IRankFusion
{
    public string Name => "rrf";

    public string Settings => FormattableString.Invariant($"rrf k={rankConstant}");

    public IReadOnlyList<ChunkScore> Fuse(IReadOnlyList<IReadOnlyList<ChunkScore>> rankings, IReadOnlyList<double> weights, int k)
    {
        var fused = new Dictionary<long, (string DocumentId, double Score)>();
        for (var r = 0; r < rankings.Count; r++)
        {
            for (var i = 0; i < rankings[r].Count; i++)
            {
                var hit = rankings[r][i];
                var contribution = weights[r] / (rankConstant + i + 1);
                fused[hit.ChunkId] = (hit.DocumentId, fused.GetValueOrDefault(hit.ChunkId).Score + contribution);
            }
        }

        return FusedOrder.Top(fused, k);
    }
}
