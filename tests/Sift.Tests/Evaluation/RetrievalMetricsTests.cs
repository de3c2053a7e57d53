using Sift.Evaluation;
using Sift.Evaluation.Metrics;

namespace Sift.Tests.Evaluation;

/// <summary>Hand-worked cases; each expected value's arithmetic is in the comment beside it.</summary>
public sealed class RetrievalMetricsTests
{
    private const double Tolerance = 1e-9;

    // Graded judgments: d1 = 2, d2 = 1, d3 = 0 (judged non-relevant), d4 = 1 (never retrieved).
    private static readonly Dictionary<string, int> Graded = new() { ["d1"] = 2, ["d2"] = 1, ["d3"] = 0, ["d4"] = 1 };

    // Ranking: x, d2, d1, d3, y
    private static readonly string[] Ranked = ["x", "d2", "d1", "d3", "y"];

    [Fact]
    public void NdcgUsesGradeAsGainWithLog2DiscountAndIdealFromAllJudgments()
    {
        // DCG@5 = 0/log2(2) + 1/log2(3) + 2/log2(4) = 0.630930 + 1.0 = 1.630930
        // IDCG@5 = 2/log2(2) + 1/log2(3) + 1/log2(4) = 2 + 0.630930 + 0.5 = 3.130930; 1.630930 / 3.130930 = 0.520909
        var expected = (1 / Math.Log2(3) + 2 / Math.Log2(4)) / (2 + 1 / Math.Log2(3) + 1 / Math.Log2(4));
        Assert.Equal(expected, RetrievalMetrics.Ndcg(Ranked, Graded, 5), Tolerance);
        Assert.Equal(0.520909, RetrievalMetrics.Ndcg(Ranked, Graded, 5), 1e-6);
    }

    [Fact]
    public void NdcgAtCutoffCutsBothTheRankingAndTheIdeal()
    {
        // DCG@2 = 1/log2(3) = 0.630930; IDCG@2 = 2 + 1/log2(3) = 2.630930
        Assert.Equal((1 / Math.Log2(3)) / (2 + 1 / Math.Log2(3)), RetrievalMetrics.Ndcg(Ranked, Graded, 2), Tolerance);
    }

    [Fact]
    public void ReciprocalRankIsOneOverFirstRelevantRankWithinCutoff()
    {
        Assert.Equal(0.5, RetrievalMetrics.ReciprocalRank(Ranked, Graded, 10), Tolerance);
        Assert.Equal(0, RetrievalMetrics.ReciprocalRank(Ranked, Graded, 1), Tolerance);
    }

    [Fact]
    public void RecallDividesByAllRelevantDocumentsIncludingUnretrieved()
    {
        // Relevant: d1, d2, d4 (d3 has grade 0). Retrieved in top 5: d2, d1.
        Assert.Equal(2.0 / 3, RetrievalMetrics.Recall(Ranked, Graded, 5), Tolerance);
        Assert.Equal(1.0 / 3, RetrievalMetrics.Recall(Ranked, Graded, 2), Tolerance);
    }

    [Fact]
    public void PrecisionDividesByCutoffEvenWhenFewerResultsWereReturned()
    {
        // 2 relevant among 5 returned, k = 10: trec_eval's P_10 = 2/10.
        Assert.Equal(0.2, RetrievalMetrics.Precision(Ranked, Graded, 10), Tolerance);
        Assert.Equal(2.0 / 3, RetrievalMetrics.Precision(Ranked, Graded, 3), Tolerance);
    }

    [Fact]
    public void AveragePrecisionSumsPrecisionAtEachRelevantRankOverAllRelevant()
    {
        // Relevant at ranks 2 and 3: P@2 = 1/2, P@3 = 2/3; divided by 3 relevant = (0.5 + 0.666667) / 3 = 0.388889
        Assert.Equal((0.5 + 2.0 / 3) / 3, RetrievalMetrics.AveragePrecision(Ranked, Graded, 100), Tolerance);
        // map_cut_2 only counts rank 2: 0.5 / 3
        Assert.Equal(0.5 / 3, RetrievalMetrics.AveragePrecision(Ranked, Graded, 2), Tolerance);
    }

    [Fact]
    public void HitIsOneWhenAnyRelevantDocumentIsInTheTopK()
    {
        Assert.Equal(1, RetrievalMetrics.Hit(Ranked, Graded, 2), Tolerance);
        Assert.Equal(0, RetrievalMetrics.Hit(Ranked, Graded, 1), Tolerance);
    }

    [Fact]
    public void QueryWithNoRelevantDocumentsScoresZeroEverywhere()
    {
        var noneRelevant = new Dictionary<string, int> { ["d3"] = 0 };
        foreach (var metric in MetricSpec.AtCutoffs([1, 10]))
        {
            Assert.Equal(0, RetrievalMetrics.Compute(metric, Ranked, noneRelevant), Tolerance);
        }
    }

    [Fact]
    public void CutoffLargerThanTheResultListUsesWhatWasReturned()
    {
        var judgments = new Dictionary<string, int> { ["a"] = 1 };
        string[] one = ["a"];
        Assert.Equal(1, RetrievalMetrics.Ndcg(one, judgments, 100), Tolerance);
        Assert.Equal(1, RetrievalMetrics.Recall(one, judgments, 1000), Tolerance);
        Assert.Equal(0.01, RetrievalMetrics.Precision(one, judgments, 100), Tolerance);
        Assert.Equal(0, RetrievalMetrics.Ndcg([], judgments, 10), Tolerance);
    }

    [Fact]
    public void TiesAreBrokenByDocumentIdDescendingAsTrecEvalDoes()
    {
        var order = RetrievalMetrics.TrecOrder([("a", 1.0), ("c", 1.0), ("b", 2.0), ("d", 0.5)]);
        Assert.Equal(["b", "c", "a", "d"], order);

        // The same tie decides the metric: "a" is relevant and tied with "c"; trec_eval puts "c" first.
        var evaluation = RetrievalEvaluator.Score("q", "text", [("a", 1.0), ("c", 1.0)], new Dictionary<string, int> { ["a"] = 1 }, [MetricSpec.Parse("mrr@10")]);
        Assert.Equal(0.5, evaluation.Metrics["mrr@10"], Tolerance);
    }

    [Theory]
    [InlineData("ndcg@10", MetricFamily.Ndcg, 10)]
    [InlineData("Recall@100", MetricFamily.Recall, 100)]
    [InlineData("p@5", MetricFamily.Precision, 5)]
    public void MetricNamesParse(string text, MetricFamily family, int k)
    {
        Assert.Equal(new MetricSpec(family, k), MetricSpec.Parse(text));
    }

    [Theory]
    [InlineData("ndcg")]
    [InlineData("foo@10")]
    [InlineData("ndcg@0")]
    public void BadMetricNamesAreUserErrors(string text)
    {
        var error = Assert.Throws<Sift.Core.SiftException>(() => MetricSpec.Parse(text));
        Assert.Contains(text, error.Message, StringComparison.Ordinal);
    }
}
