using Sift.Evaluation.Statistics;

namespace Sift.Evaluation.Reports;

/// <summary>Metrics of one slice of a run (a tag, a query-length bucket), each with its bootstrap interval.</summary>
public sealed record SliceSummary(int Count, IReadOnlyDictionary<string, MeanWithInterval> Metrics);

/// <summary>Groups per-query metrics into slices, so a regression confined to one kind of query is visible.</summary>
public static class Slices
{
    /// <summary>The query-length bucket of a query, by words: 1-3, 4-7, 8-15, 16+.</summary>
    public static string LengthBucket(string query)
    {
        var words = query.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        return words switch
        {
            <= 3 => "length:1-3",
            <= 7 => "length:4-7",
            <= 15 => "length:8-15",
            _ => "length:16+",
        };
    }

    /// <summary>One summary per slice name; a query may belong to several slices.</summary>
    public static SortedDictionary<string, SliceSummary> Summarise(IEnumerable<(IEnumerable<string> Slices, IReadOnlyDictionary<string, double> Metrics)> queries)
    {
        var groups = queries
            .SelectMany(q => q.Slices.Select(slice => (Slice: slice, q.Metrics)))
            .GroupBy(q => q.Slice, StringComparer.Ordinal);
        var summaries = new SortedDictionary<string, SliceSummary>(StringComparer.Ordinal);
        foreach (var group in groups)
        {
            var names = group.SelectMany(q => q.Metrics.Keys).Distinct().Order(StringComparer.Ordinal);
            summaries[group.Key] = new SliceSummary(
                group.Count(),
                names.ToDictionary(
                    n => n,
                    n => Bootstrap.Mean([.. group.Where(q => q.Metrics.ContainsKey(n)).Select(q => q.Metrics[n])], resamples: 2_000),
                    StringComparer.Ordinal));
        }

        return summaries;
    }
}
