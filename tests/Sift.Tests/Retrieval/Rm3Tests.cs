using Sift.Retrieval.Lexical;

namespace Sift.Tests.Retrieval;

/// <summary>RM3's expanded query, worked out by hand.</summary>
public sealed class Rm3Tests
{
    [Fact]
    public void TheRelevanceModelIsInterpolatedWithTheQueryAndCarriedAsRepeats()
    {
        // Feedback: d1 = a c c d (score 3), d2 = c e (score 1); shares 3/4 and 1/4, spread over each chunk's terms:
        // d1 gives 3/4/4 = 0.1875 a token (a 0.1875, c 0.375, d 0.1875), d2 1/4/2 = 0.125 (c, e).
        // P(w|R): c 0.5, a 0.1875, d 0.1875, e 0.125 (sums to 1). Interpolated with P(w|Q) = 1/2 for a and b, at 0.5:
        // a 0.25 + 0.09375 = 0.34375, b 0.25, c 0.25, d 0.09375, e 0.0625; as repeats per 100: 34, 25, 25, 9, 6.
        var bag = Rm3Ranker.ExpandedQuery(["a", "b"], [["a", "c", "c", "d"], ["c", "e"]], [3.0, 1.0]);
        var repeats = bag.GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new Dictionary<string, int> { ["a"] = 34, ["b"] = 25, ["c"] = 25, ["d"] = 9, ["e"] = 6 }, repeats);
    }

    [Fact]
    public void OnlyTheTenMostLikelyFeedbackTermsAreAdded()
    {
        var feedback = new[] { Enumerable.Range(0, 30).SelectMany(i => Enumerable.Repeat($"t{i:00}", 30 - i)).ToList() };
        var bag = Rm3Ranker.ExpandedQuery(["q"], feedback, [1.0]);
        Assert.Equal(["q", .. Enumerable.Range(0, 10).Select(i => $"t{i:00}")], bag.Distinct().Order(StringComparer.Ordinal));
    }
}
