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
    /// <summary>Best fused score first; ties by chunk id so fusion is deterministic.</summary>
    public static List<ChunkScore> Top(Dictionary<long, (string DocumentId, double Score)> fused, int k) =>
        [.. fused
            .OrderByDescending(f => f.Value.Score)
            .ThenBy(f => f.Key)
            .Take(k)
            .Select(f => new ChunkScore(f.Key, f.Value.DocumentId, f.Value.Score))];
}
