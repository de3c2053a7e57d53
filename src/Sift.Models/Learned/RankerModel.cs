using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;
using Sift.Core;

namespace Sift.Models.Learned;

/// <summary>One judged query: its candidates' features (first-stage order), relevance grades (0 = not relevant) and documents.</summary>
public sealed record RankingExample(string QueryId, float[][] Features, int[] Grades, string[] Documents);

/// <summary>What a ranker was trained on and how it measured, kept with it.</summary>
/// <param name="CrossValidation">Mean nDCG@10 over held-out folds (by query): the first stage's, then the ranker's.</param>
public sealed record RankerProvenance(
    string Dataset, string Split, int Queries, string DataSha256, int Depth, string TrainedAt, double[] CrossValidation, string SiftVersion);

/// <summary>LightGBM's training settings: trees, their leaves, the learning rate and the fewest examples a leaf may hold.</summary>
public sealed record RankerSettings(int Trees, int Leaves, double LearningRate, int MinimumPerLeaf)
{
    /// <summary>
    /// Chosen on NFCorpus's dev split (Sift.Benchmarks ranker-dev, docs/benchmarks.md): within 0.002 nDCG@10 of the best
    /// setting tried, with a third of its trees (the rerank stage's latency budget).
    /// </summary>
    public static RankerSettings Default { get; } = new(200, 31, 0.1, 200);

    /// <summary>
    /// The general ranker's: fewer, smaller trees that carry over to other collections. Chosen by leaving one training
    /// dataset out (trained on SciFact, scored on NFCorpus dev, and the other way round; Sift.Benchmarks general-ranker).
    /// </summary>
    public static RankerSettings General { get; } = new(100, 7, 0.05, 500);
}

/// <summary>
/// A LightGBM LambdaRank model (ML.NET) over <see cref="RankingFeatures"/>: trained from judged queries, scored in
/// batches of one query's candidates, and kept as a JSON document (features, field lengths, provenance and the model
/// itself in base64) that lives in the collection's settings, so every version keeps the ranker it was searched with.
/// </summary>
public sealed class RankerModel
{
    public const string Kind = "lightgbm-lambdarank";
    private readonly byte[] _bytes;
    private readonly TreeScorer _trees;

    private RankerModel(ITransformer model, byte[] bytes, FieldLengths lengths, IReadOnlyDictionary<string, float> priors, RankerProvenance provenance)
    {
        (_bytes, Lengths, Priors, Provenance) = (bytes, lengths, priors, provenance);
        _trees = TreeScorer.From(model);
    }

    public FieldLengths Lengths { get; }

    /// <summary>Judged priors of the documents its training judged relevant (<see cref="JudgedPriors"/>); others have 0.</summary>
    public IReadOnlyDictionary<string, float> Priors { get; }

    public RankerProvenance Provenance { get; }

    public int SizeBytes => _bytes.Length;

    private sealed class Row
    {
        public float Label { get; set; }

        public uint Group { get; set; }

        public float[] Features { get; set; } = [];
    }

    /// <summary>
    /// Trains on <paramref name="examples"/> (queries with at least one candidate; their features hold priors that did
    /// not see their own judgments), keeping <paramref name="servingPriors"/> to score other queries with.
    /// </summary>
    /// <param name="servingPriors">The priors kept with the model to score new queries (not used in training).</param>
    public static RankerModel Train(
        IReadOnlyList<RankingExample> examples, FieldLengths lengths, IReadOnlyDictionary<string, float> servingPriors, RankerProvenance provenance, RankerSettings? settings = null)
    {
        settings ??= RankerSettings.Default;
        var width = RankingFeatures.Names.Count;

        var rows = examples.SelectMany((example, group) => example.Features.Select((features, i) => new Row
        {
            Label = Math.Max(0, example.Grades[i]),
            Group = (uint)group,
            Features = features,
        })).ToList();
        if (rows.Count == 0)
        {
            throw new SiftException("no training query has any candidate: is the collection the dataset's corpus?");
        }

        // A context of its own: a shared one's random state moves with every training, so a model would depend on how
        // many were trained before it in the process (cross-validation folds, say), not only on its data.
        var ml = new MLContext(seed: 17);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("GroupKey", nameof(Row.Group))
            .Append(ml.Ranking.Trainers.LightGbm(new LightGbmRankingTrainer.Options
            {
                LabelColumnName = nameof(Row.Label),
                FeatureColumnName = nameof(Row.Features),
                RowGroupColumnName = "GroupKey",
                NumberOfLeaves = settings.Leaves,
                NumberOfIterations = settings.Trees,
                LearningRate = settings.LearningRate,
                MinimumExampleCountPerLeaf = settings.MinimumPerLeaf,
                Seed = 17,
                Silent = true,
            }));
        var model = pipeline.Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        return new RankerModel(model, stream.ToArray(), lengths, servingPriors, provenance);
    }

    /// <summary>The model's score of each candidate (higher is better).</summary>
    public float[] Score(float[][] features)
    {
        // The trees walked directly: a data view per query (ML.NET's Transform) cost about 2 ms, a prediction engine
        // about 11 microseconds a row.
        return _trees.Score(features);
    }

    /// <summary>
    /// The general ranker shipped with Sift, for collections without judgments of their own: trained on SciFact's and
    /// NFCorpus's training splits without judged priors (they belong to those corpora), by benchmarks/run-general-ranker.sh.
    /// </summary>
    public static string GeneralJson => General.Value;

    private static readonly Lazy<string> General = new(() =>
    {
        using var stream = typeof(RankerModel).Assembly.GetManifestResourceStream("general-ranker.json")
            ?? throw new SiftException("the general ranker is missing from this build of Sift (benchmarks/run-general-ranker.sh makes it)");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>The JSON document kept in the collection's settings.</summary>
    public string ToJson() => JsonSerializer.Serialize(new Document(Kind, [.. RankingFeatures.Names], Lengths, Priors, Provenance, Convert.ToBase64String(_bytes)), Json);

    /// <summary>Reads a document written by <see cref="ToJson"/>; a clear error for anything else.</summary>
    public static RankerModel Parse(string json)
    {
        Document document;
        try
        {
            document = JsonSerializer.Deserialize<Document>(json, Json) ?? throw new JsonException("empty");
        }
        catch (JsonException ex)
        {
            throw new SiftException($"the collection's ranker is not a ranker Sift wrote ({ex.Message})", ex);
        }

        // A model trained before a feature was added knows a prefix of today's features: its trees never read the rest.
        if (document.Kind != Kind || document.Features is null || document.Features.Count == 0 || !document.Features.SequenceEqual(RankingFeatures.Names.Take(document.Features.Count))
            || document.Lengths is null || document.Model is null)
        {
            throw new SiftException($"the collection's ranker ({document.Kind}, {document.Features?.Count ?? 0} features) was trained by another Sift: train it again (sift train ranker)");
        }

        try
        {
            var bytes = Convert.FromBase64String(document.Model);
            using var stream = new MemoryStream(bytes);
            return new RankerModel(new MLContext(seed: 17).Model.Load(stream, out _), bytes, document.Lengths, document.Priors ?? new Dictionary<string, float>(), document.Provenance);
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or InvalidDataException or ArgumentException)
        {
            throw new SiftException($"the collection's ranker cannot be read ({ex.Message.Split('\n')[0]}): train it again (sift train ranker)", ex);
        }
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Document(string Kind, IReadOnlyList<string> Features, FieldLengths Lengths, IReadOnlyDictionary<string, float>? Priors, RankerProvenance Provenance, string Model);
}
