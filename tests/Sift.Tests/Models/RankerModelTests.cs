using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Sift.Models.Learned;

namespace Sift.Tests.Models;

/// <summary>
/// The learned ranker's model: it learns a planted rule, its own tree walk scores exactly as ML.NET's prediction engine
/// does on the saved model, and it survives its JSON document.
/// </summary>
public sealed class RankerModelTests
{
    private sealed class Row
    {
        public float Label { get; set; }

        public uint Group { get; set; }

        [VectorType(16)]
        public float[] Features { get; set; } = [];
    }

    private sealed class Prediction
    {
        public float Score { get; set; }
    }

    [Fact]
    public void TheTreeWalkScoresAsMlNetDoesAndTheRuleIsLearned()
    {
        var random = new Random(5);
        float[] Features() => [.. Enumerable.Range(0, RankingFeatures.Names.Count).Select(_ => (float)random.NextDouble())];
        // Relevant when feature 3 is high (grade 2) or feature 7 is (grade 1); the other features are noise.
        int Grade(float[] f) => f[3] > 0.8f ? 2 : f[7] > 0.6f ? 1 : 0;
        var examples = Enumerable.Range(0, 80).Select(q =>
        {
            var features = Enumerable.Range(0, 20).Select(_ => Features()).ToArray();
            return new RankingExample($"q{q}", features, [.. features.Select(Grade)], [.. features.Select((_, i) => $"d{i}")]);
        }).ToList();
        var provenance = new RankerProvenance("synthetic", "train", examples.Count, "", 20, "", [], "test");

        var model = RankerModel.Train(examples, new FieldLengths(1, 2, 3), new Dictionary<string, float> { ["d3"] = 2.5f }, provenance);
        var reread = RankerModel.Parse(model.ToJson());

        var probe = Enumerable.Range(0, 200).Select(_ => Features()).ToArray();
        var scores = model.Score(probe);
        Assert.Equal(scores, reread.Score(probe));
        Assert.Equal(2.5f, reread.Priors["d3"]);

        // ML.NET's own scoring of the same saved model, row by row.
        using var document = JsonDocument.Parse(model.ToJson());
        var ml = new MLContext(seed: 1);
        using var stream = new MemoryStream(Convert.FromBase64String(document.RootElement.GetProperty("model").GetString()!));
        var engine = ml.Model.CreatePredictionEngine<Row, Prediction>(ml.Model.Load(stream, out _));
        for (var i = 0; i < probe.Length; i++)
        {
            Assert.Equal(engine.Predict(new Row { Features = probe[i] }).Score, scores[i], 4);
        }

        // The planted rule: grade 2 rows outscore grade 0 rows on average, by a wide margin.
        var byGrade = probe.Select((f, i) => (Grade: Grade(f), Score: scores[i])).GroupBy(p => p.Grade).ToDictionary(g => g.Key, g => g.Average(p => p.Score));
        Assert.True(byGrade[2] > byGrade[1] && byGrade[1] > byGrade[0], string.Join(", ", byGrade.OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Value:0.000}")));
    }

    [Fact]
    public void ADocumentFromAnotherFeatureListIsRefused()
    {
        var refused = Assert.Throws<Sift.Core.SiftException>(() => RankerModel.Parse("""{"kind":"lightgbm-lambdarank","features":["a"],"lengths":{"title":1,"body":1,"all":1},"provenance":null,"model":""}"""));
        Assert.Contains("train it again", refused.Message, StringComparison.Ordinal);
        Assert.Throws<Sift.Core.SiftException>(() => RankerModel.Parse("not json"));
    }

    [Fact]
    public void TheShippedGeneralRankerReadsAndScores()
    {
        var general = RankerModel.Parse(RankerModel.GeneralJson);
        Assert.Equal("scifact+nfcorpus", general.Provenance.Dataset);
        Assert.Empty(general.Priors); // judged priors belong to the corpora they were judged on

        // More of the query matched, in the title and close together, outranks a candidate matching less.
        float[] Candidate(float coverage, float proximity) =>
        [
            10f, 0f, 1f, 5f * coverage, 3f * coverage, 6f * coverage, 7f * coverage, coverage, coverage, coverage, proximity, 5f, 0.5f, 2f, 8f, 0f,
        ];
        var scores = general.Score([Candidate(1f, 1f), Candidate(0.2f, 0f)]);
        Assert.All(scores, s => Assert.True(float.IsFinite(s)));
        Assert.True(scores[0] > scores[1], $"{scores[0]} vs {scores[1]}");
    }

    [Fact]
    public void ARankerFromBeforeTheLastFeatureStillReadsAndScoresAlike()
    {
        // Trained with the last feature (the judged prior) always 0, no tree can read it: a document listing only the
        // features before it is what an older Sift wrote, and must score the same.
        var random = new Random(9);
        float[] Features() => [.. Enumerable.Range(0, RankingFeatures.Names.Count).Select(i => i == RankingFeatures.PriorIndex ? 0f : (float)random.NextDouble())];
        var examples = Enumerable.Range(0, 60).Select(q =>
        {
            var features = Enumerable.Range(0, 20).Select(_ => Features()).ToArray();
            return new RankingExample($"q{q}", features, [.. features.Select(f => f[2] > 0.7f ? 1 : 0)], [.. features.Select((_, i) => $"d{i}")]);
        }).ToList();
        var model = RankerModel.Train(examples, new FieldLengths(1, 2, 3), new Dictionary<string, float>(), new RankerProvenance("synthetic", "train", 60, "", 20, "", [], "test"));
        var json = System.Text.Json.Nodes.JsonNode.Parse(model.ToJson())!;
        json["features"] = new System.Text.Json.Nodes.JsonArray([.. RankingFeatures.Names.Take(RankingFeatures.PriorIndex).Select(n => System.Text.Json.Nodes.JsonValue.Create(n))]);
        json.AsObject().Remove("priors");

        var older = RankerModel.Parse(json.ToJsonString());
        var probe = Enumerable.Range(0, 50).Select(_ => Features()).ToArray();
        Assert.Equal(model.Score(probe), older.Score(probe));
        Assert.Empty(older.Priors);
    }
}
