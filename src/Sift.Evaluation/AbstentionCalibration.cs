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
        var best = (Threshold: 0.0, BalancedAccuracy: 0.0);
        foreach (var candidate in samples.Select(s => s.Score).Append(0).Distinct().Order())
        {
            var balanced = BalancedAccuracy(samples, candidate);
            if (balanced > best.BalancedAccuracy)
            {
                best = (candidate, balanced);
            }
        }

        return best;
    }

    /// <summary>The mean of the answer rate on answerable questions and the abstention rate on the rest, at one threshold.</summary>
    public static double BalancedAccuracy(IReadOnlyList<(double Score, bool Answerable)> samples, double threshold)
    {
        var positives = Math.Max(1, samples.Count(s => s.Answerable));
        var negatives = Math.Max(1, samples.Count(s => !s.Answerable));
        var truePositive = samples.Count(s => s.Answerable && s.Score >= threshold);
        var trueNegative = samples.Count(s => !s.Answerable && s.Score < threshold);
        return (((double)truePositive / positives) + ((double)trueNegative / negatives)) / 2;
    }
}
