using Sift.Core.Documents;
using Sift.Core.Filtering;

namespace Sift.Core.Stages;

/// <summary>One retrieval stage: a query in, the best chunks out, best first.</summary>
public interface IRetriever
{
    Task<IReadOnlyList<RetrievedChunk>> RetrieveAsync(RetrievalQuery query, CancellationToken cancellationToken = default);
}

/// <param name="Filter">Only chunks of documents whose metadata matches are considered (applied while scoring).</param>
public sealed record RetrievalQuery(string Text, int TopK, MetadataFilter? Filter = null);

/// <summary>A stored chunk with its score and rank for one query.</summary>
public sealed record RetrievedChunk(StoredChunk Chunk, double Score, int Rank);
