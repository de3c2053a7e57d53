using Sift.Models.Learned;

namespace Sift.Tests.Models;

/// <summary>The learned ranker's features, worked out by hand.</summary>
public sealed class RankingFeaturesTests
{
    [Fact]
    public void ProximityIsOneOverOnePlusTheWindowBeyondTheMatchedTerms()
    {
        // "b ... c" closest at positions 3..4 (window 2, two terms): 1 / (1 + 2 - 2) = 1.
        Assert.Equal(1.0, RankingFeatures.Proximity(["b", "x", "x", "b", "c"], ["b", "c"]));
        // a at 0, c at 3: window 4 for two terms: 1 / (1 + 4 - 2) = 1/3.
        Assert.Equal(1.0 / 3, RankingFeatures.Proximity(["a", "x", "x", "c"], ["a", "c"]), 10);
        Assert.Equal(1.0, RankingFeatures.Proximity(["a"], ["a"])); // one term matched: 1
        Assert.Equal(0.0, RankingFeatures.Proximity(["a"], []));
    }

    [Fact]
    public void Bm25IsLucenesFormulaOverOneField()
    {
        // One term, tf 2, field length 4, average 2, k1 1.2, b 0.75, idf 1.5:
        // 1.5 * 2 * 2.2 / (2 + 1.2 * (0.25 + 0.75 * 2)) = 6.6 / 4.1 = 1.6097...
        var score = RankingFeatures.Bm25(["t"], ["t", "x", "t", "y"], 2.0, 1.2, 0.75, _ => 1.5);
        Assert.Equal(6.6 / 4.1, score, 10);
        Assert.Equal(0.0, RankingFeatures.Bm25(["absent"], ["t"], 2.0, 1.2, 0.75, _ => 1.5));
    }

    [Fact]
    public void CoverageRankAndScoreFeaturesFollowTheCandidates()
    {
        var idf = new Dictionary<string, double> { ["glacier"] = 3.0, ["form"] = 1.0 };
        RankingCandidate Candidate(string[] title, string[] body, double score) => new(title, body, [], score);
        var features = RankingFeatures.Compute(
            ["glacier", "form"], [],
            [Candidate(["glacier"], ["how", "glacier", "form"], 10), Candidate([], ["form", "rock"], 5)],
            t => idf.GetValueOrDefault(t), new FieldLengths(1, 2, 3));
        int F(string name) => RankingFeatures.Names.ToList().IndexOf(name);

        Assert.Equal(RankingFeatures.Names.Count, features[0].Length);
        Assert.Equal([0f, (float)Math.Log(2)], features.Select(f => f[F("log_rank")]));
        Assert.Equal([1f, 0.5f], features.Select(f => f[F("score_over_top")]));
        // IDF-weighted coverage: all of 4 in the first; "form" (1 of 4) in the second. The title holds glacier (3 of 4).
        Assert.Equal([1f, 0.25f], features.Select(f => f[F("idf_coverage")]));
        Assert.Equal([0.75f, 0f], features.Select(f => f[F("title_idf_coverage")]));
        Assert.Equal([4f, 4f], features.Select(f => f[F("query_idf")]));

        // A text with no known word has a zero vector: similarity 0, never NaN (the trees would route NaN unlike ML.NET).
        var zero = RankingFeatures.Compute(["glacier"], new float[3], [new RankingCandidate(["glacier"], [], new float[3], 1)], _ => 1, new FieldLengths(1, 1, 1));
        Assert.Equal(0f, zero[0][F("glove_cosine")]);
        Assert.All(zero[0], value => Assert.True(float.IsFinite(value)));
    }

    [Fact]
    public void ProximityReadsTitleAndBodyAsOneText()
    {
        // Title "a x", body "y b a": a at 0 and 4, b at 3; the window b..a is 3..4 (two tokens for two terms): 1.
        var candidate = new RankingCandidate(["a", "x"], ["y", "b", "a"], [], 1);
        var features = RankingFeatures.Compute(["a", "b"], [], [candidate], _ => 1, new FieldLengths(1, 1, 1));
        Assert.Equal(1f, features[0][RankingFeatures.Names.ToList().IndexOf("proximity")]);
    }

    [Fact]
    public void JudgedPriorsAreSharesOfQueriesAndNeverAnExamplesOwnJudgment()
    {
        IReadOnlyDictionary<string, int> Judged(params (string Document, int Grade)[] grades) => grades.ToDictionary(g => g.Document, g => g.Grade);
        var judgments = new Dictionary<string, IReadOnlyDictionary<string, int>>
        {
            ["q0"] = Judged(("a", 1), ("b", 0)),
            ["q1"] = Judged(("a", 2)),
            ["q2"] = Judged(("c", 1)),
            ["q3"] = Judged(("a", 1), ("c", 1)),
        };

        // a is relevant to 3 of 4 queries: 750 per 1,000; b was judged but not relevant: no prior.
        var priors = JudgedPriors.Of([.. judgments.Values]);
        Assert.Equal(750f, priors["a"]);
        Assert.Equal(500f, priors["c"]);
        Assert.False(priors.ContainsKey("b"));

        // Two folds: q0 and q2 (fold 0) take priors from q1 and q3 only (a: 2 of 2, c: 1 of 2), and q1 and q3 from q0
        // and q2 (a: 1 of 2, c: 1 of 2).
        var examples = judgments.Keys.Select(id => new RankingExample(id, [new float[RankingFeatures.Names.Count], new float[RankingFeatures.Names.Count]], [0, 0], ["a", "c"])).ToList();
        var outOfFold = JudgedPriors.OutOfFold(examples, id => judgments[id], 2);
        float[] Prior(int query) => [.. outOfFold[query].Features.Select(f => f[RankingFeatures.PriorIndex])];
        Assert.Equal([1000f, 500f], Prior(0));
        Assert.Equal([500f, 500f], Prior(1));
        Assert.Equal([1000f, 500f], Prior(2));
        Assert.Equal([500f, 500f], Prior(3));
        Assert.All(examples, e => Assert.All(e.Features, f => Assert.Equal(0f, f[RankingFeatures.PriorIndex]))); // the originals are untouched
    }
}
