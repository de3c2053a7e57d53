using Sift.Evaluation;

namespace Sift.Tests.Evaluation;

public sealed class AbstentionCalibrationTests
{
    [Fact]
    public void PicksTheThresholdThatBestSeparatesAnswerableQuestions()
    {
        // Answerable at 9, 8, 5; unanswerable at 6, 2, 1.
        // t = 5: TP 3/3, TN 2/3 -> 0.833; t = 8: TP 2/3, TN 3/3 -> 0.833 (tie: the lower wins); t = 9: 1/3 + 3/3 -> 0.667.
        (double, bool)[] samples = [(9, true), (8, true), (5, true), (6, false), (2, false), (1, false)];
        var (threshold, accuracy) = AbstentionCalibration.Calibrate(samples);
        Assert.Equal(5, threshold);
        Assert.Equal(5.0 / 6, accuracy, 1e-9);
    }

    [Fact]
    public void PerfectlySeparableScoresGiveAccuracyOne()
    {
        (double, bool)[] samples = [(10, true), (7, true), (3, false), (0.5, false)];
        Assert.Equal((7.0, 1.0), AbstentionCalibration.Calibrate(samples));
    }
}
