namespace Sift.Evaluation.Statistics;

/// <summary>Counts of values in bins, for distributions shown as bars (the console's top-score chart).</summary>
public static class Histogram
{
    /// <summary>
    /// Equal-width bins from the smallest to the largest finite value: each bin's lower edge, and its count (values
    /// that are not finite numbers are left out).
    /// </summary>
    public static (double[] Edges, int[] Counts) EqualWidth(IReadOnlyList<double> values, int bins)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        values = [.. values.Where(double.IsFinite)];
        if (values.Count == 0)
        {
            return ([], []);
        }

        var (low, high) = (values.Min(), values.Max());
        var width = high > low ? (high - low) / bins : 1;
        var counts = new int[bins];
        foreach (var value in values)
        {
            counts[Math.Min(bins - 1, (int)((value - low) / width))]++;
        }

        return ([.. Enumerable.Range(0, bins).Select(i => Math.Round(low + (i * width), 4))], counts);
    }
}
