using Sift.Evaluation.Monitoring;
using Sift.Evaluation.Statistics;
using Sift.Server.Rollout;

namespace Sift.Tests.Evaluation;

/// <summary>The statistics behind the canary and the drift monitor, against hand-worked values and simulated traffic.</summary>
public sealed class MonitoringStatisticsTests
{
    [Fact]
    public void PsiOfThreeBins()
    {
        // Shares .5/.3/.2 against .3/.3/.4: (.3-.5)ln(.3/.5) + 0 + (.4-.2)ln(.4/.2) = .102165 + .138629 = .240795.
        Assert.Equal(0.240795, DriftStatistics.Psi([50, 30, 20], [30, 30, 40]), 6);
        Assert.Equal(0, DriftStatistics.Psi([5, 5], [50, 50]), 12);

        // An empty bin counts as a share of 0.0001: (.5-.0001)ln(.5/.0001) + (.5-1)ln(.5/1) = 4.258... + .346574.
        Assert.Equal((0.4999 * Math.Log(5000)) + (0.5 * Math.Log(2)), DriftStatistics.Psi([1, 1], [0, 2]), 9);
    }

    [Fact]
    public void NumericBinsAreCutAtTheReferenceDeciles()
    {
        double[] reference = [.. Enumerable.Range(1, 100).Select(i => (double)i)];
        Assert.Equal([10.0, 20, 30, 40, 50, 60, 70, 80, 90], DriftStatistics.QuantileEdges(reference, 10));
        Assert.Equal([10L, 10, 10, 10, 10, 10, 10, 10, 10, 10], DriftStatistics.Histogram(reference, DriftStatistics.QuantileEdges(reference, 10)));
        Assert.Equal(0, DriftStatistics.Psi(reference, reference), 12);
    }

    [Fact]
    public void KolmogorovSmirnovStatisticAndPValue()
    {
        // F_a and F_b differ most at 2 (0.4 - 0) and at 5 (1 - 0.6): D = 0.4. With n_e = sqrt(5*5/10) = 1.5811,
        // lambda = (1.5811 + 0.12 + 0.11/1.5811) * 0.4 = 0.708284, Q = 2(e^(-2 l^2) - e^(-8 l^2) + ...) = 0.697405.
        var (d, p) = DriftStatistics.KolmogorovSmirnov([1, 2, 3, 4, 5], [3, 4, 5, 6, 7]);
        Assert.Equal(0.4, d, 12);
        Assert.Equal(0.697405, p, 5);

        // Ties step together: identical samples have D = 0 and p = 1.
        Assert.Equal((0.0, 1.0), DriftStatistics.KolmogorovSmirnov([1, 1, 2], [1, 2, 1]));
        var (far, pFar) = DriftStatistics.KolmogorovSmirnov([.. Enumerable.Range(0, 100).Select(i => (double)i)], [.. Enumerable.Range(200, 100).Select(i => (double)i)]);
        Assert.Equal(1, far);
        Assert.True(pFar < 1e-10);
    }

    [Fact]
    public void ChiSquareOfTwoHistograms()
    {
        // Columns 80/60/60 over rows of 100 each: expected 40/30/30 per row, statistic 2(10²/40) + 0 + 2(10²/30) = 11.6667
        // on 2 degrees of freedom, whose upper tail is exactly e^(-x/2) = 0.0029283.
        var (statistic, freedom, p) = DriftStatistics.ChiSquare([50, 30, 20], [30, 30, 40]);
        Assert.Equal((11.666667, 2), (Math.Round(statistic, 6), freedom));
        Assert.Equal(0.0029283, p, 7);
        Assert.Equal((0.0, 1, 1.0), DriftStatistics.ChiSquare([5, 5, 0], [10, 10, 0])); // an empty category is left out

        // Q(a, x) on both sides of x = a + 1: chi-square with 1 degree of freedom at 3.841459 is the 5% point, with 10 at 18.307038.
        Assert.Equal(0.05, DriftStatistics.UpperRegularizedGamma(0.5, 3.841459 / 2), 6);
        Assert.Equal(0.05, DriftStatistics.UpperRegularizedGamma(5, 18.307038 / 2), 6);
        Assert.Equal(Math.Log(24), DriftStatistics.LogGamma(5), 12);
    }

    [Fact]
    public void MixtureLikelihoodRatio()
    {
        // Difference 0.1 with variance 0.0025 and tau^2 = 0.01: sqrt(0.0025/0.0125) * exp(0.01 * 0.01 / (2 * 0.0025 * 0.0125))
        // = 0.447214 * e^1.6 = 2.215063.
        Assert.Equal(2.215063, SequentialTest.LikelihoodRatio(0.1, 0.0025, 0.01), 6);

        var moments = new RunningMoments();
        foreach (var value in new double[] { 2, 4, 4, 4, 5, 5, 7, 9 })
        {
            moments.Add(value);
        }

        Assert.Equal((8L, 5.0, 32.0 / 7), (moments.Count, moments.Mean, moments.Variance));
    }

    [Fact]
    public void TheSequentialTestConcludesNothingBelowTheMinimumOrWithinTheTolerance()
    {
        var (baseline, candidate) = (new RunningMoments(), new RunningMoments());
        for (var i = 0; i < 29; i++)
        {
            baseline.Add(i % 2);
            candidate.Add(1);
        }

        Assert.False(SequentialTest.Compare(baseline, candidate, 0.01, 0.05, 0.1).Degraded);
        baseline.Add(0);
        candidate.Add(1);
        Assert.True(SequentialTest.Compare(baseline, candidate, 0.01, 0.05, 0.1).Degraded);
        Assert.False(SequentialTest.Compare(baseline, candidate, 0.6, 0.05, 0.1).Degraded);
    }

    /// <summary>Simulated traffic: callers drawn at random, each request's outcome from its arm's distribution.</summary>
    private static (CanaryEvent? Ended, int Requests) Simulate(Canary canary, int seed, double candidateScore, double candidateAbstention, int maxRequests)
    {
        var random = new Random(seed);
        double Normal(double mean, double sd) => mean + (sd * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        for (var request = 1; request <= maxRequests; request++)
        {
            var candidate = canary.RoutesToCandidate($"caller-{random.Next(5_000)}");
            var (score, abstention) = candidate ? (candidateScore, candidateAbstention) : (10.0, 0.05);
            var outcome = new CanaryOutcome(
                random.NextDouble() < 0.002, Math.Max(1, Normal(40, 10)), Normal(score, 2), random.NextDouble() < abstention, random.NextDouble() < 0.03);
            if (canary.Record(candidate, outcome) is { } ended)
            {
                return (ended, request);
            }
        }

        return (null, maxRequests);
    }

    private static Canary NewCanary(int seed, int? promoteAfter = null) =>
        new("c", new CanaryPlan(Share: 0.2, Alpha: 0.05, MinRequests: 30, PromoteAfter: promoteAfter), DateTimeOffset.UnixEpoch.AddDays(seed));

    [Fact]
    public void ADegradedCandidateIsRolledBackWithinABoundedNumberOfRequests()
    {
        // The candidate's top score is 30% lower and it abstains on a quarter of questions.
        var canary = NewCanary(1);
        var (ended, requests) = Simulate(canary, seed: 7, candidateScore: 7, candidateAbstention: 0.25, maxRequests: 5_000);
        Assert.NotNull(ended);
        Assert.Equal(CanaryState.RolledBack, ended.State);
        Assert.True(requests <= 600, $"rolled back only after {requests} requests");
        Assert.Contains(ended.Status.Signals, s => s.Degraded && s.Name is Canary.TopScore or Canary.Abstention);
        Assert.DoesNotContain(Enumerable.Range(0, 1_000), i => canary.RoutesToCandidate($"caller-{i}")); // everyone is back on the baseline
    }

    [Fact]
    public void AHealthyCandidateIsPromotedAfterItsHealthyRequests()
    {
        var canary = NewCanary(2, promoteAfter: 200);
        var (ended, _) = Simulate(canary, seed: 11, candidateScore: 10, candidateAbstention: 0.05, maxRequests: 5_000);
        Assert.Equal(CanaryState.Promoted, ended?.State);
        Assert.Equal(200, ended!.Status.CandidateRequests);
        Assert.DoesNotContain(Enumerable.Range(0, 1_000), i => canary.RoutesToCandidate($"caller-{i}"));
    }

    [Fact]
    public void RoutingIsStickyPerCallerAndNearTheShare()
    {
        var canary = NewCanary(3);
        var routed = Enumerable.Range(0, 10_000).Where(i => canary.RoutesToCandidate($"caller-{i}")).ToHashSet();
        Assert.InRange(routed.Count, 1_850, 2_150);

        // Sticky: the same canary (another server's copy, or after a restart with the same start) routes each caller alike;
        // a new canary draws its arms afresh, so the same callers are not always the ones trying candidates.
        var same = NewCanary(3);
        Assert.All(Enumerable.Range(0, 10_000), i => Assert.Equal(routed.Contains(i), same.RoutesToCandidate($"caller-{i}")));
        var next = NewCanary(4);
        var overlap = Enumerable.Range(0, 10_000).Count(i => routed.Contains(i) && next.RoutesToCandidate($"caller-{i}"));
        Assert.InRange(overlap, 300, 500); // independent draws: 0.2 x 0.2 x 10,000 = 400
    }

    [Fact]
    public void FalseRollbacksOverTwoHundredAaRunsStayWithinTheStatedRate()
    {
        // Both arms drawn from one distribution, 2,000 requests each run: the whole-canary false-alarm rate is alpha = 0.05.
        var rollbacks = Enumerable.Range(0, 200).Count(run =>
            Simulate(NewCanary(100 + run), seed: 1_000 + run, candidateScore: 10, candidateAbstention: 0.05, maxRequests: 2_000).Ended?.State == CanaryState.RolledBack);
        Assert.True(rollbacks <= 10, $"{rollbacks} of 200 A/A runs rolled back (at most 10 = 5% allowed)");
    }
}
