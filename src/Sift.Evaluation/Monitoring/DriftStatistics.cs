namespace Sift.Evaluation.Monitoring;

/// <summary>
/// The two drift statistics the monitor reports per feature. The population stability index (PSI) compares binned
/// shares: Σ (current − reference) · ln(current / reference), with bins at the reference's deciles and an empty bin
/// counted as a share of 0.0001 (so a bin empty on one side gives a large finite term, as in the credit-scoring
/// practice PSI comes from). PSI grows with sampling noise in small windows, so a feature counts as drifted only when a
/// test also finds the difference significant: the two-sample Kolmogorov-Smirnov test for numeric features (the largest
/// gap between the empirical distribution functions, with its asymptotic p-value), Pearson's chi-square test of
/// homogeneity for categorical ones.
/// </summary>
public static class DriftStatistics
{
    /// <summary>The share an empty bin is counted as.</summary>
    public const double EmptyShare = 1e-4;

    /// <summary>PSI of a numeric feature over <paramref name="bins"/> bins cut at the reference's quantiles.</summary>
    public static double Psi(IReadOnlyList<double> reference, IReadOnlyList<double> current, int bins = 10)
    {
        if (reference.Count == 0 || current.Count == 0)
        {
            return 0;
        }

        var edges = QuantileEdges(reference, bins);
        return Psi(Histogram(reference, edges), Histogram(current, edges));
    }

    /// <summary>PSI of two histograms over the same bins (counts).</summary>
    public static double Psi(IReadOnlyList<long> reference, IReadOnlyList<long> current)
    {
        double referenceTotal = reference.Sum(), currentTotal = current.Sum();
        if (referenceTotal == 0 || currentTotal == 0)
        {
            return 0;
        }

        var psi = 0.0;
        for (var b = 0; b < reference.Count; b++)
        {
            var r = Math.Max(reference[b] / referenceTotal, EmptyShare);
            var c = Math.Max(current[b] / currentTotal, EmptyShare);
            psi += (c - r) * Math.Log(c / r);
        }

        return psi;
    }

    /// <summary>The inner cut points of <paramref name="bins"/> equal-frequency bins of <paramref name="values"/>, without repeats.</summary>
    public static double[] QuantileEdges(IReadOnlyList<double> values, int bins)
    {
        var sorted = values.Order().ToArray();
        var edges = new List<double>();
        for (var b = 1; b < bins; b++)
        {
            var edge = sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(b * sorted.Length / (double)bins) - 1)];
            if (edges.Count == 0 || edge > edges[^1])
            {
                edges.Add(edge);
            }
        }

        return [.. edges];
    }

    /// <summary>Counts per bin: bin i holds values above edge i-1 and up to edge i; the last bin everything above.</summary>
    public static long[] Histogram(IReadOnlyList<double> values, double[] edges)
    {
        var counts = new long[edges.Length + 1];
        foreach (var value in values)
        {
            var index = Array.BinarySearch(edges, value);
            counts[index >= 0 ? index : ~index]++;
        }

        return counts;
    }

    /// <summary>Counts of categorical values over the union of categories, in a stable order.</summary>
    public static (IReadOnlyList<string> Categories, long[] Reference, long[] Current) Categories(IReadOnlyList<string> reference, IReadOnlyList<string> current)
    {
        var categories = reference.Concat(current).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        long[] Count(IReadOnlyList<string> values) => [.. categories.Select(c => (long)values.Count(v => v == c))];
        return (categories, Count(reference), Count(current));
    }

    /// <summary>
    /// Pearson's chi-square test of homogeneity of two histograms over the same categories (categories empty on both
    /// sides are left out): the statistic, its degrees of freedom (categories - 1) and p-value.
    /// </summary>
    public static (double Statistic, int DegreesOfFreedom, double PValue) ChiSquare(IReadOnlyList<long> reference, IReadOnlyList<long> current)
    {
        double a = reference.Sum(), b = current.Sum();
        var used = Enumerable.Range(0, reference.Count).Where(i => reference[i] + current[i] > 0).ToList();
        if (a == 0 || b == 0 || used.Count < 2)
        {
            return (0, 0, 1);
        }

        var statistic = 0.0;
        foreach (var i in used)
        {
            var column = reference[i] + current[i];
            var (expectedA, expectedB) = (column * a / (a + b), column * b / (a + b));
            statistic += (Math.Pow(reference[i] - expectedA, 2) / expectedA) + (Math.Pow(current[i] - expectedB, 2) / expectedB);
        }

        var freedom = used.Count - 1;
        return (statistic, freedom, UpperRegularizedGamma(freedom / 2.0, statistic / 2.0));
    }

    /// <summary>Q(a, x) = Γ(a, x) / Γ(a): a series below x = a + 1, Lentz's continued fraction above (Numerical Recipes' gammq).</summary>
    public static double UpperRegularizedGamma(double a, double x)
    {
        if (x <= 0)
        {
            return 1;
        }

        var logPrefix = (a * Math.Log(x)) - x - LogGamma(a);
        if (x < a + 1)
        {
            double term = 1 / a, sum = term;
            for (var n = 1; n < 1_000 && Math.Abs(term) > Math.Abs(sum) * 1e-15; n++)
            {
                term *= x / (a + n);
                sum += term;
            }

            return Math.Clamp(1 - (sum * Math.Exp(logPrefix)), 0, 1);
        }

        const double Tiny = 1e-300;
        double b = x + 1 - a, c = 1 / Tiny, d = 1 / b, h = d;
        for (var i = 1; i < 1_000; i++)
        {
            var an = -i * (i - a);
            b += 2;
            d = (an * d) + b;
            d = Math.Abs(d) < Tiny ? Tiny : d;
            c = b + (an / c);
            c = Math.Abs(c) < Tiny ? Tiny : c;
            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-15)
            {
                break;
            }
        }

        return Math.Clamp(Math.Exp(logPrefix) * h, 0, 1);
    }

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7, nine coefficients: about 15 significant digits).</summary>
    public static double LogGamma(double x)
    {
        double[] coefficients =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        if (x < 0.5)
        {
            return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x); // reflection
        }

        x -= 1;
        var sum = coefficients[0];
        for (var i = 1; i < coefficients.Length; i++)
        {
            sum += coefficients[i] / (x + i);
        }

        var t = x + 7.5;
        return (0.5 * Math.Log(2 * Math.PI)) + ((x + 0.5) * Math.Log(t)) - t + Math.Log(sum);
    }

    /// <summary>The two-sample Kolmogorov-Smirnov statistic D and its asymptotic p-value.</summary>
    public static (double D, double PValue) KolmogorovSmirnov(IReadOnlyList<double> reference, IReadOnlyList<double> current)
    {
        if (reference.Count == 0 || current.Count == 0)
        {
            return (0, 1);
        }

        var a = reference.Order().ToArray();
        var b = current.Order().ToArray();
        int i = 0, j = 0;
        var d = 0.0;
        while (i < a.Length && j < b.Length)
        {
            // Step past every copy of the smaller value on both sides, so ties never open a gap that is not there.
            var value = Math.Min(a[i], b[j]);
            while (i < a.Length && a[i] == value)
            {
                i++;
            }

            while (j < b.Length && b[j] == value)
            {
                j++;
            }

            d = Math.Max(d, Math.Abs(((double)i / a.Length) - ((double)j / b.Length)));
        }

        var effective = Math.Sqrt(a.Length * (double)b.Length / (a.Length + b.Length));
        return (d, KolmogorovQ((effective + 0.12 + (0.11 / effective)) * d));
    }

    /// <summary>Q(λ) = 2 Σ (−1)^(k−1) exp(−2 k² λ²), the Kolmogorov distribution's upper tail (Numerical Recipes' probks).</summary>
    public static double KolmogorovQ(double lambda)
    {
        if (lambda < 1e-3)
        {
            return 1;
        }

        double sum = 0, sign = 1, previous = 0;
        for (var k = 1; k <= 100; k++)
        {
            var term = sign * Math.Exp(-2 * k * k * lambda * lambda);
            sum += term;
            if (Math.Abs(term) <= 1e-10 * Math.Abs(sum) || Math.Abs(term) <= 1e-3 * previous)
            {
                return Math.Clamp(2 * sum, 0, 1);
            }

            sign = -sign;
            previous = Math.Abs(term);
        }

        return 1; // no convergence: λ is tiny, so the distributions are indistinguishable
    }
}
