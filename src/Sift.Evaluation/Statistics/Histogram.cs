namespace Sift.Evaluation.Statistics;

/// <summary>Counts of values in bins, for distributions shown as bars (the console's top-score chart).</summary>
public static class Histogram
{
    /// <summary>Equal-width bins from the smallest to the largest value: each bin's lower edge, and its count.</summary>
    public static (double[] Edges, int[] Counts) EqualWidth(IReadOnlyList<double> values, int bins)
    {
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
