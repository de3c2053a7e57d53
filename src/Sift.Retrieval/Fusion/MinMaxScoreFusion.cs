using Sift.Core.Storage;
using Sift.Retrieval.Ranking;

namespace Sift.Retrieval.Fusion;

/// <summary>
/// Normalised-score fusion: each ranking's scores are rescaled to [0, 1] by min-max over that ranking's results, then
/// summed with weights; a chunk missing from a ranking gets 0 from it. A ranking whose scores are all equal gives 1.
/// </summary>
public sealed class MinMaxScoreFusion : IRankFusion
{
    public string Name => "weighted";

    public string Settings => "weighted min-max";

    public IReadOnlyList<ChunkScore> Fuse(IReadOnlyList<IReadOnlyList<ChunkScore>> rankings, IReadOnlyList<double> weights, int k)
    {
        var fused = new Dictionary<long, (string DocumentId, double Score)>();
        for (var r = 0; r < rankings.Count; r++)
        {
            var ranking = rankings[r];
            if (ranking.Count == 0)
            {
                continue;
            }

            var min = ranking.Min(h => h.Score);
            var range = ranking.Max(h => h.Score) - min;
            foreach (var hit in ranking)
            {
                var normalised = range > 0 ? (hit.Score - min) / range : 1;
                fused[hit.ChunkId] = (hit.DocumentId, fused.GetValueOrDefault(hit.ChunkId).Score + (weights[r] * normalised));
            }
        }

        return FusedOrder.Top(fused, k);
    }
}
