using System.Text.Json;
using Sift.Core;

namespace Sift.Evaluation.Statistics;

/// <summary>Per-query metric values of one evaluation run, as written by <c>sift eval ... --out</c>.</summary>
public sealed record RunResults(string Name, IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> PerQuery)
{
    public static RunResults FromEvaluation(string name, RetrievalEvaluation evaluation) =>
        new(name, evaluation.Queries.ToDictionary(q => q.QueryId, q => q.Metrics, StringComparer.Ordinal));

    /// <summary>Reads a report file; any file with <c>perQuery: [{id, metrics: {name: value}}]</c> works.</summary>
    public static RunResults Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new SiftException($"run file not found: {path}");
        }

        return Parse(path, File.ReadAllText(path));
    }

    /// <summary>Reads a report's JSON (from a file, or stored with a collection version) named <paramref name="name"/> in messages.</summary>
    public static RunResults Parse(string name, string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var perQuery = new Dictionary<string, IReadOnlyDictionary<string, double>>(StringComparer.Ordinal);
            foreach (var query in document.RootElement.GetProperty("perQuery").EnumerateArray())
            {
                perQuery[query.GetProperty("id").GetString()!] = query.GetProperty("metrics").EnumerateObject()
                    .ToDictionary(m => m.Name, m => m.Value.GetDouble(), StringComparer.Ordinal);
            }

            return new RunResults(name, perQuery);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new SiftException($"{name} is not a Sift evaluation report (expected perQuery entries with id and metrics)", ex);
        }
    }
}

/// <summary>A metric that dropped by more than allowed, significantly, with the queries that dropped most.</summary>
public sealed record GateFailure(PairedComparison Comparison, double MaxDrop, IReadOnlyList<(string QueryId, double Drop)> WorstQueries)
{
    public override string ToString() =>
        System.FormattableString.Invariant($"{Comparison.Metric} dropped by {-Comparison.Difference:0.0000} (allowed {MaxDrop:0.0000}; 95% CI {Comparison.Low:+0.0000;-0.0000}..{Comparison.High:+0.0000;-0.0000}, p = {Comparison.PValue:0.####}); worst queries: {string.Join(", ", WorstQueries.Select(q => $"{q.QueryId} (-{q.Drop:0.000})"))}");
}

/// <summary>
/// Compares a run with a baseline query by query, and fails a metric only when it dropped by more than allowed
/// <em>and</em> the drop is significant, so noise does not block a release and real regressions do.
/// </summary>
public static class RegressionGate
{
    public static IReadOnlyList<PairedComparison> Compare(RunResults baseline, RunResults current, IEnumerable<string>? metrics = null)
    {
        var queries = baseline.PerQuery.Keys.Intersect(current.PerQuery.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (queries.Count == 0)
        {
            throw new SiftException($"{baseline.Name} and {current.Name} share no queries; compare runs of the same dataset and split");
        }

        // A metric is compared on the queries that have it in both runs (answer metrics need a reference answer).
        var names = metrics?.ToList() ?? [.. queries.SelectMany(q => baseline.PerQuery[q].Keys.Intersect(current.PerQuery[q].Keys, StringComparer.Ordinal)).Distinct().Order(StringComparer.Ordinal)];
        return [.. names.Select(metric =>
        {
            var paired = PairedQueries(baseline, current, metric, queries);
            return paired.Count == 0
                ? throw new SiftException($"metric {metric} is not in both runs")
                : Bootstrap.Paired(metric, [.. paired.Select(q => baseline.PerQuery[q][metric])], [.. paired.Select(q => current.PerQuery[q][metric])]);
        })];
    }

    private static List<string> PairedQueries(RunResults baseline, RunResults current, string metric, IEnumerable<string> queries) =>
        [.. queries.Where(q => baseline.PerQuery[q].ContainsKey(metric) && current.PerQuery[q].ContainsKey(metric))];

    public static IReadOnlyList<GateFailure> Check(
        RunResults baseline, RunResults current, IReadOnlyDictionary<string, double> maxDrops, double alpha = 0.05, int worst = 5)
    {
        var failures = new List<GateFailure>();
        foreach (var comparison in Compare(baseline, current, maxDrops.Keys))
        {
            var allowed = maxDrops[comparison.Metric];
            if (-comparison.Difference > allowed && comparison.IsSignificant(alpha))
            {
                var drops = PairedQueries(baseline, current, comparison.Metric, baseline.PerQuery.Keys.Intersect(current.PerQuery.Keys, StringComparer.Ordinal))
                    .Select(q => (QueryId: q, Drop: baseline.PerQuery[q][comparison.Metric] - current.PerQuery[q][comparison.Metric]))
                    .Where(d => d.Drop > 0)
                    .OrderByDescending(d => d.Drop)
                    .ThenBy(d => d.QueryId, StringComparer.Ordinal)
                    .Take(worst)
                    .ToList();
                failures.Add(new GateFailure(comparison, allowed, drops));
            }
        }

        return failures;
    }

    /// <summary>Parses "ndcg@10=0.01" limits.</summary>
    public static Dictionary<string, double> ParseMaxDrops(IEnumerable<string> expressions)
    {
        var limits = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var expression in expressions)
        {
            var parts = expression.Split('=');
            if (parts.Length != 2 || !double.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var limit) || limit < 0 || !double.IsFinite(limit))
            {
                throw new InvalidOptionException("maximum drop", $"'{expression}' is not of the form metric=amount, e.g. ndcg@10=0.01");
            }

            // Retrieval metrics are normalised ("NDCG@10" -> "ndcg@10"); answer metrics are taken as named.
            var name = parts[0].Trim();
            limits[name.Contains('@', StringComparison.Ordinal) ? Metrics.MetricSpec.Parse(name).ToString() : name] = limit;
        }

        return limits;
    }
}
