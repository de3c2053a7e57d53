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
        // a 0.25 + 0.09375 = 0.34375, b 0.25, c 0.25, d 0.09375, e 0.0625; times the query's 2 terms (BM25's scale,
        // where each query term weighs 1): 0.6875, 0.5, 0.5, 0.1875, 0.125.
        var weights = Rm3Ranker.ExpandedQuery(["a", "b"], [["a", "c", "c", "d"], ["c", "e"]], [3.0, 1.0]).ToDictionary(t => t.Term, t => t.Weight);
        Assert.Equal(["a", "b", "c", "d", "e"], weights.Keys);
        Assert.Equal([0.6875, 0.5, 0.5, 0.1875, 0.125], weights.Values.Select(w => Math.Round(w, 10)));
    }

    [Fact]
    public void OnlyTheTenMostLikelyFeedbackTermsAreAdded()
    {
        var feedback = new[] { Enumerable.Range(0, 30).SelectMany(i => Enumerable.Repeat($"t{i:00}", 30 - i)).ToList() };
        var expanded = Rm3Ranker.ExpandedQuery(["q"], feedback, [1.0]);
        Assert.Equal(["q", .. Enumerable.Range(0, 10).Select(i => $"t{i:00}")], expanded.Select(t => t.Term));
    }

    [Fact]
    public void EveryTermOfALongQueryKeepsItsWeight()
    {
        // 300 distinct terms: each keeps 0.5 / 300 of the distribution, times 300 = 0.5 (no term rounds away).
        var query = Enumerable.Range(0, 300).Select(i => $"w{i}").ToList();
        var expanded = Rm3Ranker.ExpandedQuery(query, [["x"]], [1.0]);
        Assert.All(expanded.Where(t => t.Term != "x"), t => Assert.Equal(0.5, t.Weight, 10));
        Assert.Equal(301, expanded.Count);
    }
}
