using System.Collections;
using Sift.Core.Documents;
using Sift.Core.Filtering;

namespace Sift.Core.Stages;

/// <summary>One retrieval stage: a query in, the best chunks out, best first.</summary>
public interface IRetriever
{
    Task<RetrievalResults> RetrieveAsync(RetrievalQuery query, CancellationToken cancellationToken = default);
}

/// <param name="Filter">Only chunks of documents whose metadata matches (and the caller may see) are considered, while scoring.</param>
/// <param name="MeasureCoverage">Also measure <see cref="RetrievalResults.QueryCoverage"/> (what abstention needs; search does not pay for it).</param>
public sealed record RetrievalQuery(string Text, int TopK, MetadataFilter? Filter = null, bool MeasureCoverage = false);

/// <summary>A stored chunk with its score and rank for one query.</summary>
public sealed record RetrievedChunk(StoredChunk Chunk, double Score, int Rank);

/// <summary>
/// The chunks retrieval returned, best first, and why they may be worse than usual (<see cref="Degraded"/>: e.g. the
/// reranker failed and the first-stage order was kept).
/// </summary>
/// <param name="queryCoverage">
/// How much of the query the best chunk holds: the IDF-weighted share of the query's terms it contains (0..1), or
/// null when not asked for (<see cref="RetrievalQuery.MeasureCoverage"/>) or the retriever cannot tell. A question whose rare words the best passage lacks is likely not answered by it.
/// </param>
public sealed class RetrievalResults(IReadOnlyList<RetrievedChunk> chunks, string? degraded = null, double? queryCoverage = null) : IReadOnlyList<RetrievedChunk>
{
    public string? Degraded { get; } = degraded;

    public double? QueryCoverage { get; } = queryCoverage;

    public int Count => chunks.Count;

    public RetrievedChunk this[int index] => chunks[index];

    public IEnumerator<RetrievedChunk> GetEnumerator() => chunks.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
