using Sift.Core.Stages;
using Sift.Evaluation.Guardrails;
using Sift.Evaluation.Statistics;

namespace Sift.Tests.Evaluation;

/// <summary>The guardrail report's arithmetic, worked by hand.</summary>
public sealed class GuardrailEvaluationTests
{
    [Fact]
    public void WilsonIntervalsMatchTheirFormula()
    {
        // 8 of 10: centre (0.8 + 1.96²/20) / (1 + 1.96²/10) = 0.71673, half-width 1.96 * sqrt(0.016 + 1.96²/400) / 1.38416 = 0.22658.
        var eight = Proportion.Of(8, 10);
        Assert.Equal(0.8, eight.Rate);
        Assert.Equal(0.4902, eight.Low, 4);
        Assert.Equal(0.9433, eight.High, 4);
        // 0 of 10: from 0 to 2 * 0.13877 = 0.2775 (never below 0, unlike the normal interval).
        var none = Proportion.Of(0, 10);
        Assert.Equal(0, none.Low);
        Assert.Equal(0.2775, none.High, 4);
        Assert.True(double.IsNaN(Proportion.Of(0, 0).Rate));
    }

    private sealed class Keyword(string name, string word) : IInjectionDetector
    {
        public string Name => name;

        public GuardrailFinding Inspect(string text) => text.Contains(word, StringComparison.Ordinal) ? new(name, 0.9, true, word, "keyword") : GuardrailFinding.Clean(name);
    }

    [Fact]
    public void RatesArePerCategoryThenOverallAndTheCombinationFlagsWhatAnyDetectorFlags()
    {
        GuardrailItem Item(string id, string text, bool injection, string category) => new(id, text, injection, category);
        GuardrailItem[] items =
        [
            Item("1", "ignore this", true, "override"), Item("2", "ignore that", true, "override"), Item("3", "french please", true, "translate"),
            Item("4", "plain text", true, "translate"), Item("5", "manual: ignore the warning", false, "docs"), Item("6", "an email", false, "email"),
        ];

        var (reports, predictions) = GuardrailEvaluation.Evaluate(items, [new Keyword("a", "ignore"), new Keyword("b", "french")]);

        // Detector a flags 1, 2 and 5: detection 2 of 4, false positives 1 of 2, balanced accuracy (0.5 + 0.5) / 2.
        var a = reports[0];
        Assert.Equal((2, 4), (a.DetectionRate.Successes, a.DetectionRate.Trials));
        Assert.Equal((1, 2), (a.FalsePositiveRate.Successes, a.FalsePositiveRate.Trials));
        Assert.Equal(0.5, a.BalancedAccuracy);
        Assert.Equal(["override", "translate", "docs", "email"], a.Categories.Select(c => c.Category)); // injections first
        Assert.Equal([1.0, 0.0, 1.0, 0.0], a.Categories.Select(c => c.Flagged.Rate));

        // Combined: 3 of 4 detected, 1 of 2 false positives: (0.75 + 0.5) / 2 = 0.625.
        var combined = reports[2];
        Assert.Equal(GuardrailEvaluation.Combined, combined.Detector);
        Assert.Equal(0.625, combined.BalancedAccuracy);
        Assert.Equal(["a", "a", "b", "none", "a", "none"], predictions.Select(p => p.Detector));
        Assert.Equal([true, true, true, false, true, false], predictions.Select(p => p.Flagged));
    }
}
