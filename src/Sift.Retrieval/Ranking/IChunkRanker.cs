using Sift.Core.Filtering;
using Sift.Core.Storage;

namespace Sift.Retrieval.Ranking;

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
