namespace Sift.Evaluation.Metrics;

/// <summary>
/// Per-query retrieval metrics with trec_eval's definitions: a document is relevant when its judgment is at least 1;
/// nDCG uses the judgment as gain with a log2(rank + 1) discount and the ideal ranking of all judged documents; recall
/// and MAP divide by every relevant document, retrieved or not; P@k divides by k even when fewer were retrieved.
/// A query with no relevant documents scores 0 on every metric.
/// </summary>
public static class RetrievalMetrics
{
    /// <summary>
    /// trec_eval's order for a run: score descending, ties broken by document id descending (trec_eval compares
    /// document numbers in reverse). Metrics must be computed on this order to agree with it.
    /// </summary>
    public static IReadOnlyList<string> TrecOrder(IEnumerable<(string DocumentId, double Score)> results) =>
        [.. results
            .OrderByDescending(r => r.Score)
            .ThenByDescending(r => r.DocumentId, StringComparer.Ordinal)
            .Select(r => r.DocumentId)];

    public static double Compute(MetricSpec metric, IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> judgments) =>
        metric.Family switch
        {
            MetricFamily.Ndcg => Ndcg(ranked, judgments, metric.K),
            MetricFamily.Mrr => ReciprocalRank(ranked, judgments, metric.K),
            MetricFamily.Recall => Recall(ranked, judgments, metric.K),
            MetricFamily.Hit => Hit(ranked, judgments, metric.K),
            MetricFamily.Map => AveragePrecision(ranked, judgments, metric.K),
            MetricFamily.Precision => Precision(ranked, judgments, metric.K),
            _ => throw new ArgumentOutOfRangeException(nameof(metric)),
        };

    public static double Ndcg(IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> judgments, int k)
    {
        var dcg = 0.0;
        for (var i = 0; i < Math.Min(k, ranked.Count); i++)
        {
            dcg += Gain(judgments, ranked[i]) / Math.Log2(i + 2);
        }

        var ideal = judgments.Values.Where(g => g > 0).OrderDescending().Take(k).Select((g, i) => g / Math.Log2(i + 2)).Sum();
        return ideal == 0 ? 0 : dcg / ideal;
    }

    public static double ReciprocalRank(IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> judgments, int k)
    {
        for (var i = 0; i < Math.Min(k, ranked.Count); i++)
        {
            if (IsRelevant(judgments, ranked[i]))
            {
                return 1.0 / (i + 1);
            }
        }

        return 0;
    }

    public static double Recall(IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> judgments, int k)
    {
        var relevant = RelevantCount(judgments);
        return relevant == 0 ? 0 : (double)RelevantInTop(ranked, judgments, k) / relevant;
    }

    public static double Hit(IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> judgments, int k) =>
        RelevantInTop(ranked, judgments, k) > 0 ? 1 : 0;

    public static double Precision(IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> judgments, int k) =>
        (double)RelevantInTop(ranked, judgments, k) / k;

    public static double AveragePrecision(IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> judgments, int k)
    {
        var relevant = RelevantCount(judgments);
        if (relevant == 0)
        {
            return 0;
        }

        double sum = 0;
        var found = 0;
        for (var i = 0; i < Math.Min(k, ranked.Count); i++)
        {
            if (IsRelevant(judgments, ranked[i]))
            {
                found++;
                sum += (double)found / (i + 1);
            }
        }

        return sum / relevant;
    }

    private static int RelevantInTop(IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> judgments, int k)
    {
        var count = 0;
        for (var i = 0; i < Math.Min(k, ranked.Count); i++)
        {
            if (IsRelevant(judgments, ranked[i]))
            {
                count++;
            }
        }

        return count;
    }

    private static int RelevantCount(IReadOnlyDictionary<string, int> judgments) => judgments.Values.Count(g => g > 0);

    private static bool IsRelevant(IReadOnlyDictionary<string, int> judgments, string documentId) =>
        judgments.TryGetValue(documentId, out var grade) && grade > 0;

    private static double Gain(IReadOnlyDictionary<string, int> judgments, string documentId) =>
        judgments.TryGetValue(documentId, out var grade) && grade > 0 ? grade : 0;
}
