using System.Diagnostics;

namespace Sift.Evaluation;

/// <summary>Latency percentiles and throughput of a query function, measured one query at a time.</summary>
public sealed record LatencyReport(int Queries, double MeanMs, double P50Ms, double P95Ms, double P99Ms, double QueriesPerSecond);

public static class LatencyBenchmark
{
    /// <summary>Runs every query once to warm up, then <paramref name="rounds"/> timed passes on one thread.</summary>
    public static LatencyReport Measure(IReadOnlyList<string> queries, Action<string> run, int rounds = 3)
    {
        foreach (var query in queries)
        {
            run(query);
        }

        var samples = new List<double>(queries.Count * rounds);
        var total = Stopwatch.StartNew();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var query in queries)
            {
                var start = Stopwatch.GetTimestamp();
                run(query);
                samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }

        total.Stop();
        samples.Sort();
        return new LatencyReport(
            samples.Count,
            samples.Average(),
            Percentile(samples, 0.50),
            Percentile(samples, 0.95),
            Percentile(samples, 0.99),
            samples.Count / total.Elapsed.TotalSeconds);
    }

    /// <summary>Nearest-rank percentile of sorted samples.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double fraction) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1)];
}
