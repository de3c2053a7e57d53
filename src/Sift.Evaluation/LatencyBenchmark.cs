using System.Diagnostics;

namespace Sift.Evaluation;

/// <summary>Latency percentiles and throughput of a query function, measured one query at a time.</summary>
/// <param name="QueriesPerSecond">The median over the timed passes.</param>
/// <param name="MinQueriesPerSecond">The slowest timed pass.</param>
/// <param name="MaxQueriesPerSecond">The fastest timed pass.</param>
/// <param name="WarmUpPasses">Passes run before timing, until throughput settled.</param>
public sealed record LatencyReport(
    int Queries, double MeanMs, double P50Ms, double P95Ms, double P99Ms, double QueriesPerSecond,
    double MinQueriesPerSecond = 0, double MaxQueriesPerSecond = 0, int WarmUpPasses = 0);

public static class LatencyBenchmark
{
    private const int MaxWarmUpPasses = 200;
    public static readonly TimeSpan DefaultMinWarmUp = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Warms up until steady state: at least <paramref name="minWarmUp"/> (default 3 seconds) of passes over the queries (the runtime promotes hot methods to
    /// optimised code in the background, 100 ms after calls stop arriving at unoptimised code, so two quick passes
    /// that agree can both still be slow: processes measured that way swung 3x), then until two passes in a row agree
    /// within 5% on throughput (at most 200 passes). Then times <paramref name="rounds"/> passes on one thread.
    /// Throughput is the median pass, with the slowest and fastest.
    /// </summary>
    public static LatencyReport Measure(IReadOnlyList<string> queries, Action<string> run, int rounds = 20, TimeSpan? minWarmUp = null)
    {
        var warmUpAtLeast = minWarmUp ?? DefaultMinWarmUp;
        var warmUp = 0;
        var previous = 0.0;
        var warmUpStarted = Stopwatch.GetTimestamp();
        while (warmUp < MaxWarmUpPasses)
        {
            var started = Stopwatch.GetTimestamp();
            foreach (var query in queries)
            {
                run(query);
            }

            var throughput = queries.Count / Stopwatch.GetElapsedTime(started).TotalSeconds;
            warmUp++;
            if (warmUp >= 2 && Stopwatch.GetElapsedTime(warmUpStarted) >= warmUpAtLeast && Math.Abs(throughput - previous) <= 0.05 * previous)
            {
                break;
            }

            previous = throughput;
        }

        var samples = new List<double>(queries.Count * rounds);
        var passes = new List<double>(rounds);
        for (var round = 0; round < Math.Max(1, rounds); round++)
        {
            var pass = Stopwatch.GetTimestamp();
            foreach (var query in queries)
            {
                var start = Stopwatch.GetTimestamp();
                run(query);
                samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            passes.Add(queries.Count / Stopwatch.GetElapsedTime(pass).TotalSeconds);
        }

        samples.Sort();
        passes.Sort();
        return new LatencyReport(
            samples.Count,
            samples.Average(),
            Percentile(samples, 0.50),
            Percentile(samples, 0.95),
            Percentile(samples, 0.99),
            Percentile(passes, 0.50),
            passes[0],
            passes[^1],
            warmUp);
    }

    /// <summary>Nearest-rank percentile of sorted samples.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double fraction) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1)];
}
