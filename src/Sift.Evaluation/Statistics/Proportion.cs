namespace Sift.Evaluation.Statistics;

/// <summary>A proportion with its 95% Wilson score interval (sound at small counts and at 0 or 1, unlike the normal one).</summary>
public sealed record Proportion(int Successes, int Trials, double Rate, double Low, double High)
{
    public static Proportion Of(int successes, int trials, double z = 1.96)
    {
        if (trials == 0)
        {
            return new Proportion(0, 0, double.NaN, double.NaN, double.NaN);
        }

        var p = (double)successes / trials;
        var z2 = z * z;
        var centre = (p + (z2 / (2 * trials))) / (1 + (z2 / trials));
        var half = z * Math.Sqrt((p * (1 - p) / trials) + (z2 / (4.0 * trials * trials))) / (1 + (z2 / trials));
        return new Proportion(successes, trials, p, Math.Max(0, centre - half), Math.Min(1, centre + half));
    }
}
