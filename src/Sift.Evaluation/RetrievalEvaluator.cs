using System.Diagnostics;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Metrics;

namespace Sift.Evaluation;

/// <summary>Ranks the documents for one query: (document id, score), best first.</summary>
public delegate Task<IReadOnlyList<(string DocumentId, double Score)>> DocumentRanker(string query, int depth, CancellationToken cancellationToken);

/// <summary>One query's ranking (in trec_eval order) and its metric values.</summary>
public sealed record QueryEvaluation(
    string QueryId,
    string Query,
    IReadOnlyList<(string DocumentId, double Score)> Ranked,
    IReadOnlyDictionary<string, double> Metrics);

public sealed record RetrievalEvaluation(
    string Dataset,
    string Split,
    IReadOnlyList<MetricSpec> MetricSpecs,
    IReadOnlyDictionary<string, double> Means,
    IReadOnlyList<QueryEvaluation> Queries,
    TimeSpan QueryTime)
{
    public double QueriesPerSecond => Queries.Count / Math.Max(QueryTime.TotalSeconds, 1e-9);
}

/// <summary>Runs every judged query of a dataset through a ranker and scores the rankings against the qrels.</summary>
public static class RetrievalEvaluator
{
    public static async Task<RetrievalEvaluation> EvaluateAsync(
        BeirDataset dataset, DocumentRanker ranker, IReadOnlyList<MetricSpec> metrics, int depth, CancellationToken cancellationToken = default)
    {
        var queries = dataset.Queries.ToList();
        var results = new QueryEvaluation[queries.Count];
        var stopwatch = Stopwatch.StartNew();
        await Parallel.ForAsync(0, queries.Count, cancellationToken, async (i, cancel) =>
        {
            var (queryId, text) = queries[i];
            var ranked = await ranker(text, depth, cancel).ConfigureAwait(false);
            results[i] = Score(queryId, text, ranked, dataset.Qrels[queryId], metrics);
        }).ConfigureAwait(false);
        stopwatch.Stop();

        var means = metrics.ToDictionary(
            m => m.ToString(),
            m => results.Length == 0 ? 0 : results.Average(r => r.Metrics[m.ToString()]));
        return new RetrievalEvaluation(dataset.Name, dataset.Split, metrics, means, results, stopwatch.Elapsed);
    }

    /// <summary>Scores one ranking; the ranking is first put in trec_eval order so ties resolve as trec_eval does.</summary>
    public static QueryEvaluation Score(
        string queryId, string query, IReadOnlyList<(string DocumentId, double Score)> ranked,
        IReadOnlyDictionary<string, int> judgments, IReadOnlyList<MetricSpec> metrics)
    {
        var scores = ranked.ToDictionary(r => r.DocumentId, r => r.Score, StringComparer.Ordinal);
        var order = RetrievalMetrics.TrecOrder(ranked);
        var values = metrics.ToDictionary(m => m.ToString(), m => RetrievalMetrics.Compute(m, order, judgments));
        return new QueryEvaluation(queryId, query, [.. order.Select(d => (d, scores[d]))], values);
    }
}
