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

        [VectorType(15)]
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

        var model = RankerModel.Train(examples, new FieldLengths(1, 2, 3), provenance);
        var reread = RankerModel.Parse(model.ToJson());

        var probe = Enumerable.Range(0, 200).Select(_ => Features()).ToArray();
        var scores = model.Score(probe);
        Assert.Equal(scores, reread.Score(probe));

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
}
