using Sift.Core.Filtering;

namespace Sift.Core.Stages;

/// <summary>One retrieval stage: a query in, the best chunks out, best first.</summary>
public interface IRetriever
{
    Task<IReadOnlyList<RetrievedChunk>> RetrieveAsync(RetrievalQuery query, CancellationToken cancellationToken = default);
}

/// <param name="Filter">Only chunks of documents whose metadata matches are considered (applied while scoring).</param>
public sealed record RetrievalQuery(string Text, int TopK, MetadataFilter? Filter = null);

/// <summary>A chunk with its score and everything needed to show and cite it.</summary>
public sealed record RetrievedChunk(
    long ChunkId,
    string DocumentId,
    string Source,
    string Title,
    string Text,
    int Start,
    int End,
    IReadOnlyList<string> HeadingPath,
    int? Page,
    double Score,
    int Rank);
