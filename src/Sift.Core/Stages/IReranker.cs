namespace Sift.Core.Stages;

/// <summary>A second-stage ranker: reorders a short list of retrieved chunks by a finer relevance model.</summary>
public interface IReranker
{
    string Name { get; }

    /// <returns>The same chunks, best first, with the reranker's scores and new ranks.</returns>
    Task<IReadOnlyList<RetrievedChunk>> RerankAsync(string query, IReadOnlyList<RetrievedChunk> candidates, CancellationToken cancellationToken = default);
}
