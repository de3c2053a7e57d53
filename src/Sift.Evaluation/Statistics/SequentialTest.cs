namespace Sift.Evaluation.Statistics;

/// <summary>Running count, mean and variance of one arm's observations (Welford's update: stable, O(1) per value).</summary>
public sealed class RunningMoments
{
    private double _m2;

    public long Count { get; private set; }

    public double Mean { get; private set; }

    /// <summary>Sample variance (n - 1 denominator); 0 below two observations.</summary>
    public double Variance => Count > 1 ? _m2 / (Count - 1) : 0;

    public void Add(double value)
    {
        Count++;
        var delta = value - Mean;
        Mean += delta / Count;
        _m2 += delta * (value - Mean);
    }
}

/// <summary>The verdict of a sequential comparison at one moment.</summary>
/// <param name="Difference">Candidate minus baseline, in the direction where larger is worse.</param>
/// <param name="LikelihoodRatio">The mixture likelihood ratio Λ; the test rejects when it reaches 1/α.</param>
public sealed record SequentialVerdict(double Difference, double LikelihoodRatio, bool Degraded);

/// <summary>
/// The mixture sequential probability ratio test (mSPRT) of Johari, Pekelis and Walsh ("Always valid inference",
/// 2017) for the difference of two means, with a normal mixing distribution N(0, τ²) over the effect. With Δ̂ the
/// observed difference beyond the tolerated one and V = s₁²/n₁ + s₂²/n₂ its variance,
/// <code>Λ = sqrt(V / (V + τ²)) · exp(τ² Δ̂² / (2 V (V + τ²)))</code>
/// and rejecting when Λ ≥ 1/α keeps the chance of ever rejecting a true null at most α however often it is
/// looked at, which is what a canary that checks after every request needs (a fixed-sample test checked
/// continuously raises false alarms far above its nominal rate).
/// </summary>
public static class SequentialTest
{
    /// <summary>Λ for an observed (excess) difference with variance <paramref name="variance"/> under a mixture of variance <paramref name="tau2"/>.</summary>
    /// <remarks>Computed in logs and capped at e^700, so overwhelming evidence stays a finite number.</remarks>
    public static double LikelihoodRatio(double difference, double variance, double tau2) =>
        Math.Exp(Math.Min(700, (0.5 * Math.Log(variance / (variance + tau2))) + (tau2 * difference * difference / (2 * variance * (variance + tau2)))));

    /// <summary>
    /// Whether the candidate is worse than the baseline by more than <paramref name="tolerance"/> (larger values
    /// worse), at false-alarm rate <paramref name="alpha"/>. Below <paramref name="minimum"/> observations per arm, or
    /// while the difference is within the tolerance, nothing is concluded.
    /// </summary>
    public static SequentialVerdict Compare(RunningMoments baseline, RunningMoments candidate, double tolerance, double alpha, double tau, long minimum = 30)
    {
        var difference = candidate.Mean - baseline.Mean;
        if (baseline.Count < minimum || candidate.Count < minimum)
        {
            return new SequentialVerdict(difference, 1, false);
        }

        var excess = difference - tolerance;
        if (excess <= 0)
        {
            return new SequentialVerdict(difference, 1, false);
        }

        // Two arms without any spread (every request alike) that differ beyond the tolerance are as clear as evidence
        // gets: a variance negligible next to the mixture's stands in for zero.
        var variance = Math.Max((baseline.Variance / baseline.Count) + (candidate.Variance / candidate.Count), tau * tau * 1e-6);

        var ratio = LikelihoodRatio(excess, variance, tau * tau);
        return new SequentialVerdict(difference, ratio, ratio >= 1 / alpha);
    }
}
