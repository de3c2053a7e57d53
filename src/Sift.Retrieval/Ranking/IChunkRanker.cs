using Sift.Core.Filtering;

namespace Sift.Retrieval.Ranking;

/// <summary>A chunk's id, its document and its score from one ranker (higher is better).</summary>
public readonly record struct ChunkScore(long ChunkId, string DocumentId, double Score);

/// <summary>
/// One way of scoring chunks for a query (BM25, vectors, a fusion of both). Rankers return ids and scores only;
/// <see cref="Retriever"/> reads the text of the winners.
/// </summary>
public interface IChunkRanker
{
    /// <summary>Short name for reports ("bm25", "dense", "hybrid-rrf").</summary>
    string Name { get; }

    Task<IReadOnlyList<ChunkScore>> RankAsync(string query, int k, MetadataFilter? filter, CancellationToken cancellationToken);
}
