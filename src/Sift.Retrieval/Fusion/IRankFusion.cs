using Sift.Core.Storage;
using Sift.Retrieval.Ranking;

namespace Sift.Retrieval.Fusion;

/// <summary>Merges several rankings of chunks into one, best first.</summary>
public interface IRankFusion
{
    string Name { get; }

    /// <summary>The name with its parameters, for run provenance.</summary>
    string Settings { get; }

    /// <param name="rankings">Each ranker's results, best first.</param>
    /// <param name="weights">One weight per ranking.</param>
    IReadOnlyList<ChunkScore> Fuse(IReadOnlyList<IReadOnlyList<ChunkScore>> rankings, IReadOnlyList<double> weights, int k);
}

internal static class FusedOrder
{
    /// <summary>Best fused score first; ties by document id, then chunk (<see cref="ChunkScore.BestFirst"/>), so fusion is deterministic on any store.</summary>
    public static List<ChunkScore> Top(Dictionary<long, (string DocumentId, double Score)> fused, int k)
    {
        var scores = fused.Select(f => new ChunkScore(f.Key, f.Value.DocumentId, f.Value.Score)).ToList();
        scores.Sort(ChunkScore.BestFirst);
        return scores.Count > k ? scores[..k] : scores;
    }
}
