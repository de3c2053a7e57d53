using Sift.Core;
using Sift.Evaluation.Statistics;

namespace Sift.Tests.Evaluation;

public sealed class StatisticsTests
{
    private static double[] Noisy(int count, int seed, double shift = 0)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => Math.Clamp(0.6 + shift + ((random.NextDouble() - 0.5) * 0.6), 0, 1))];
    }

    [Fact]
    public void ARunComparedWithItselfShowsNoDifference()
    {
        var run = Noisy(300, 1);
        var comparison = Bootstrap.Paired("ndcg@10", run, run);
        Assert.Equal(0, comparison.Difference);
        Assert.Equal(1, comparison.PValue);
        Assert.False(comparison.IsSignificant());
    }

    [Fact]
    public void APlantedShiftOf005On300QueriesIsDetected()
    {
        var baseline = Noisy(300, 2);
        var random = new Random(3);
        var improved = baseline.Select(v => v + 0.05 + ((random.NextDouble() - 0.5) * 0.1)).ToArray();

        var comparison = Bootstrap.Paired("ndcg@10", baseline, improved);

        Assert.True(comparison.IsSignificant(), comparison.ToString());
        Assert.InRange(0.05, comparison.Low, comparison.High);
        Assert.Equal(0.05, comparison.Difference, 0.01);
    }

    [Fact]
    public void IndependentNoiseOfTheSameMeanIsUsuallyNotSignificant()
    {
        // Two noisy runs around the same mean: over 20 seeds, about 5% may come out significant at alpha 0.05.
        var significant = Enumerable.Range(0, 20).Count(seed =>
        {
            var a = Noisy(300, seed * 2);
            var random = new Random(seed * 2 + 1);
            var b = a.Select(v => v + ((random.NextDouble() - 0.5) * 0.1)).ToArray();
            return Bootstrap.Paired("m", a, b, resamples: 2000).IsSignificant();
        });
        Assert.InRange(significant, 0, 4);
    }

    [Fact]
    public void TheBootstrapIntervalCoversTheMean()
    {
        var values = Noisy(500, 9);
        var interval = Bootstrap.Mean(values);
        Assert.InRange(values.Average(), interval.Low, interval.High);
        Assert.True(interval.High - interval.Low is > 0.01 and < 0.05, $"{interval}");
    }

    [Fact]
    public void TheGateFailsOnlyOnASignificantDropLargerThanAllowed()
    {
        RunResults Run(string name, IEnumerable<double> ndcg) =>
            new(name, ndcg.Select((v, i) => (Id: $"q{i}", Value: v)).ToDictionary(p => p.Id, p => (IReadOnlyDictionary<string, double>)new Dictionary<string, double> { ["ndcg@10"] = p.Value }));

        var baseline = Noisy(300, 4);
        var slightlyWorse = baseline.Select(v => v - 0.005).ToArray();
        var muchWorse = baseline.Select((v, i) => i % 3 == 0 ? v - 0.3 : v).ToArray();
        var limits = new Dictionary<string, double> { ["ndcg@10"] = 0.01 };

        Assert.Empty(RegressionGate.Check(Run("a", baseline), Run("b", slightlyWorse), limits));
        var failure = Assert.Single(RegressionGate.Check(Run("a", baseline), Run("b", muchWorse), limits));
        Assert.Equal("ndcg@10", failure.Comparison.Metric);
        Assert.Equal(5, failure.WorstQueries.Count);
        Assert.All(failure.WorstQueries, q => Assert.Equal(0.3, q.Drop, 1e-9));
        Assert.Contains("dropped by", failure.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ndcg@10")]
    [InlineData("ndcg@10=x")]
    [InlineData("nonsense@3=0.1")]
    public void BadMaxDropsAreUserErrors(string expression)
    {
        // A malformed limit names the option; an unknown metric names the metric.
        var error = Assert.ThrowsAny<SiftException>(() => RegressionGate.ParseMaxDrops([expression]));
        Assert.Equal(expression.StartsWith("nonsense", StringComparison.Ordinal), error is not InvalidOptionException);
    }

    [Fact]
    public void SignedNumbersNeverPrintBothSigns()
    {
        // -0.00004 rounds to zero at three decimals: "+0.000", not "-0.000" or a sign clash.
        Assert.Equal("+0.000", Sift.Evaluation.Statistics.PairedComparison.Signed(-0.00004, 3));
        Assert.Equal("-0.012", Sift.Evaluation.Statistics.PairedComparison.Signed(-0.0123, 3));
        Assert.Equal("+0.0351", Sift.Evaluation.Statistics.PairedComparison.Signed(0.03514, 4));
    }
}
