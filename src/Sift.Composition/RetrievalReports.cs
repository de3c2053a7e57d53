using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Evaluation;
using Sift.Evaluation.Answers;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Metrics;
using Sift.Evaluation.Reports;
using Sift.Evaluation.Statistics;
using Sift.Retrieval;

namespace Sift.Composition;

/// <summary>
/// A retrieval evaluation of a collection against a BEIR-layout dataset and its report (the JSON <c>sift eval
/// retrieval --out</c> writes and a version keeps): run by the CLI after it ingested the corpus, and by the server's
/// console on a collection as it is served.
/// </summary>
public static class RetrievalReports
{
    /// <param name="filter">What the retriever may return (a caller's access), or null for everything.</param>
    /// <param name="indexTime">How long ingesting the corpus took, when this run did it.</param>
    public static async Task<(RetrievalEvaluation Evaluation, object Report)> EvaluateAsync(
        BeirDataset data, IChunkStore target, Retriever retriever, IReadOnlyList<MetricSpec> metrics, int depth, MetadataFilter? filter,
        TimeSpan? indexTime, bool redact, CancellationToken cancellationToken)
    {
        var evaluation = await RetrievalEvaluator.EvaluateAsync(
            data, (query, n, cancel) => retriever.RankDocumentsAsync(query, n, filter, cancel), metrics, depth, cancellationToken).ConfigureAwait(false);
        var info = target.Info();
        string?[] files = [data.CorpusPath, Path.Combine(data.Folder, "queries.jsonl"), Path.Combine(data.Folder, "qrels", data.Split + ".tsv")];
        var provenance = new Provenance(
            Provenance.Version,
            Provenance.HashFiles([.. files.OfType<string>()]),
            info.Name, info.Generation, info.Chunker, info.Analyzer, info.Embedder, retriever.Name, retriever.Fusion, retriever.Reranker, null, null, DateTimeOffset.UtcNow);
        var worst = redact ? [] : await WorstCasesAsync(evaluation, data, retriever, filter, cancellationToken).ConfigureAwait(false);
        return (evaluation, Report(evaluation, provenance, indexTime, info, worst, redact));
    }

    private static object Report(
        RetrievalEvaluation evaluation, Provenance provenance, TimeSpan? indexTime, CollectionInfo collection, IReadOnlyList<object> worstCases, bool redact) => new
    {
        kind = "retrieval",
        dataset = evaluation.Dataset,
        split = evaluation.Split,
        retriever = provenance.Retriever,
        provenance,
        collection = new { collection.Name, collection.Documents, collection.Chunks, collection.Chunker, collection.Analyzer, collection.Embedder, collection.Generation },
        queries = evaluation.Queries.Count,
        indexSeconds = indexTime?.TotalSeconds,
        querySeconds = evaluation.QueryTime.TotalSeconds,
        queriesPerSecond = evaluation.QueriesPerSecond,
        headline = evaluation.MetricSpecs[0].ToString(),
        metrics = evaluation.Means,
        intervals = evaluation.MetricSpecs.ToDictionary(
            m => m.ToString(), m => Bootstrap.Mean([.. evaluation.Queries.Select(q => q.Metrics[m.ToString()])])),
        slices = Slices.Summarise(evaluation.Queries.Select(q => ((IEnumerable<string>)[Slices.LengthBucket(q.Query)], q.Metrics))),
        perQuery = evaluation.Queries.Select(q => new
        {
            id = q.QueryId,
            query = redact ? null : q.Query,
            metrics = q.Metrics,
            top = redact ? null : q.Ranked.Take(10).Select(r => r.DocumentId),
        }),
        worstCases,
    };

    /// <summary>The worst queries by the headline metric, with the chunks retrieval returned for them (text and relevance).</summary>
    private static async Task<IReadOnlyList<object>> WorstCasesAsync(
        RetrievalEvaluation evaluation, BeirDataset data, Retriever retriever, MetadataFilter? filter, CancellationToken cancellationToken)
    {
        var headline = evaluation.MetricSpecs[0].ToString();
        var cases = new List<object>();
        foreach (var query in evaluation.Queries.OrderBy(q => q.Metrics[headline]).ThenBy(q => q.QueryId, StringComparer.Ordinal).Take(AnswerReport.WorstCaseCount))
        {
            var chunks = await retriever.RetrieveAsync(new RetrievalQuery(query.Query, 5, filter), cancellationToken).ConfigureAwait(false);
            var judged = data.Qrels[query.QueryId];
            cases.Add(new
            {
                id = query.QueryId,
                query = query.Query,
                metrics = query.Metrics,
                relevant = judged.Where(j => j.Value > 0).Select(j => j.Key),
                retrieved = chunks.Select(c => new
                {
                    documentId = c.Chunk.DocumentId,
                    score = c.Score,
                    relevant = judged.GetValueOrDefault(c.Chunk.DocumentId) > 0,
                    text = ReportText.Clip(c.Chunk.Text, 400),
                }),
            });
        }

        return cases;
    }
}
