namespace Sift.Evaluation.Statistics;

/// <summary>A mean with its 95% confidence interval.</summary>
public sealed record MeanWithInterval(double Mean, double Low, double High);

/// <summary>A paired comparison of two runs on the same queries: B minus A.</summary>
/// <param name="PValue">Two-sided p-value of a paired permutation (sign-flip) test of "no difference".</param>
public sealed record PairedComparison(string Metric, int Queries, double MeanA, double MeanB, double Difference, double Low, double High, double PValue)
{
    public bool IsSignificant(double alpha = 0.05) => PValue < alpha;

    /// <summary>"ndcg@10 +0.012 (95% CI +0.004..+0.020, p = 0.01)".</summary>
    public override string ToString() =>
        System.FormattableString.Invariant($"{Metric} {Signed(Difference, 3)} (95% CI {Signed(Low, 3)}..{Signed(High, 3)}, p = {PValue:0.####})");

    /// <summary>A signed number, rounded first so a tiny negative prints as +0.000 rather than with both signs.</summary>
    public static string Signed(double value, int decimals)
    {
        var digits = new string('0', decimals);
        return (Math.Round(value, decimals) + 0.0).ToString($"+0.{digits};-0.{digits}", System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// Resampling statistics with a fixed seed (so reports are reproducible): percentile bootstrap intervals for means and
/// paired differences, and a paired sign-flip permutation test.
/// </summary>
public static class Bootstrap
{
    public const int DefaultResamples = 10_000;

    public static MeanWithInterval Mean(IReadOnlyList<double> values, int resamples = DefaultResamples, int seed = 17)
    {
        if (values.Count == 0)
        {
            return new MeanWithInterval(0, 0, 0);
        }

        var random = new Random(seed);
        var means = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            var sum = 0.0;
            for (var i = 0; i < values.Count; i++)
            {
                sum += values[random.Next(values.Count)];
            }

            means[r] = sum / values.Count;
        }

        Array.Sort(means);
        return new MeanWithInterval(values.Average(), Percentile(means, 0.025), Percentile(means, 0.975));
    }

    /// <summary>Compares per-query values of two runs (same queries, same order).</summary>
    public static PairedComparison Paired(string metric, IReadOnlyList<double> a, IReadOnlyList<double> b, int resamples = DefaultResamples, int seed = 17)
    {
        if (a.Count != b.Count)
        {
            throw new ArgumentException($"paired runs need the same queries ({a.Count} vs {b.Count})");
        }

        var differences = a.Zip(b, (x, y) => y - x).ToArray();
        var interval = Mean(differences, resamples, seed);
        var observed = Math.Abs(differences.Average());
        var random = new Random(seed + 1);
        var extreme = 0;
        for (var r = 0; r < resamples; r++)
        {
            var sum = 0.0;
            foreach (var difference in differences)
            {
                sum += random.Next(2) == 0 ? difference : -difference;
            }

            if (Math.Abs(sum / differences.Length) >= observed - 1e-12)
            {
                extreme++;
            }
        }

        // (extreme + 1) / (resamples + 1): never exactly 0, as a Monte Carlo p-value should not be.
        var p = differences.All(d => d == 0) ? 1.0 : (extreme + 1.0) / (resamples + 1.0);
        return new PairedComparison(metric, differences.Length, a.Average(), b.Average(), interval.Mean, interval.Low, interval.High, p);
    }

    private static double Percentile(double[] sorted, double fraction)
    {
        var position = fraction * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
    }
}
