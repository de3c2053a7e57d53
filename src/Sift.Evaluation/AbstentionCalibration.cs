namespace Sift.Evaluation;

/// <summary>Chooses the retrieval-score threshold below which an answerer should abstain.</summary>
public static class AbstentionCalibration
{
    /// <summary>
    /// The threshold (one of the observed scores, or 0) with the best balanced accuracy of "score ≥ t means the
    /// question is answerable"; ties keep the lowest threshold, so answers are not withheld without cause.
    /// </summary>
    public static (double Threshold, double BalancedAccuracy) Calibrate(IReadOnlyList<(double Score, bool Answerable)> samples)
    {
        var positives = Math.Max(1, samples.Count(s => s.Answerable));
        var negatives = Math.Max(1, samples.Count(s => !s.Answerable));
        var best = (Threshold: 0.0, BalancedAccuracy: 0.0);
        foreach (var candidate in samples.Select(s => s.Score).Append(0).Distinct().Order())
        {
            var truePositive = samples.Count(s => s.Answerable && s.Score >= candidate);
            var trueNegative = samples.Count(s => !s.Answerable && s.Score < candidate);
            var balanced = (((double)truePositive / positives) + ((double)trueNegative / negatives)) / 2;
            if (balanced > best.BalancedAccuracy)
            {
                best = (candidate, balanced);
            }
        }

        return best;
    }
}
