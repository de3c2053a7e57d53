using System.Globalization;
using System.Text.Json;
using Sift.Composition;
using Sift.Evaluation.Beir;
using Sift.Index.Analysis;
using Sift.Models.Learned;

namespace Sift.Benchmarks;

/// <summary>
/// The general ranker Sift ships: trained on the train splits of several datasets at once (each over its own
/// collection of the same name in the store), without judged priors, written where Sift.Models embeds it; and PubMedQA
/// turned into a retrieval dataset it was never trained on (each question's own abstract is its one relevant document).
/// </summary>
internal static class GeneralRankerCommand
{
    public static async Task<int> Train(string store, string output, IReadOnlyList<string> datasetFolders)
    {
        using var analyzer = new EnglishTextAnalyzer();
        using var stores = SiftStores.Open(Core.Storage.StoreLocation.Resolve(store), analyzer);
        var examples = new List<RankingExample>();
        var lengths = new List<(FieldLengths Lengths, int Queries)>();
        foreach (var folder in datasetFolders)
        {
            var train = BeirDataset.LoadJudgedQueries(folder, "train");
            using var collection = stores.Open(train.Name);
            var (judged, averages) = await LearnedRankers.ExamplesAsync(collection, analyzer, train, null, CancellationToken.None);
            examples.AddRange(judged.Select(e => e with { QueryId = $"{train.Name}/{e.QueryId}" }));
            lengths.Add((averages, judged.Count));
        }

        // Field lengths weighted by queries, like the examples themselves.
        double Mean(Func<FieldLengths, double> field) => lengths.Sum(l => field(l.Lengths) * l.Queries) / lengths.Sum(l => l.Queries);
        var pooled = new FieldLengths(Mean(l => l.Title), Mean(l => l.Body), Mean(l => l.All));
        var names = string.Join("+", datasetFolders.Select(f => Path.GetFileName(f.TrimEnd('/'))));
        // No clock and no data hash: the committed model is this command's output, and stays the same file when rerun.
        var provenance = new RankerProvenance(names, "train", examples.Count, "(the datasets' train splits)", LearnedRankers.Depth, "general", [], Core.SiftBuild.Version);
        if (datasetFolders.Count == 2)
        {
            await LeaveOneDatasetOut(stores, analyzer, examples, pooled, provenance, datasetFolders);
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var model = RankerModel.Train(examples, pooled, new Dictionary<string, float>(), provenance, RankerSettings.General);
        await File.WriteAllTextAsync(output, model.ToJson());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"general ranker: {names} train, {examples.Count} queries, trained in {watch.Elapsed.TotalSeconds:0.0} s, {model.SizeBytes / 1024.0:0} KiB -> {output}"));
        return 0;
    }

    /// <summary>
    /// How the general ranker's settings were chosen, on the training datasets alone: trained on one dataset's train
    /// split, scored on the other's queries (NFCorpus dev; SciFact train, which has no dev split), for each setting.
    /// </summary>
    private static async Task LeaveOneDatasetOut(
        Core.Storage.IStore stores, EnglishTextAnalyzer analyzer, List<RankingExample> examples, FieldLengths pooled, RankerProvenance provenance, IReadOnlyList<string> folders)
    {
        var first = BeirDataset.LoadJudgedQueries(folders[0], "train");
        var second = BeirDataset.LoadJudgedQueries(folders[1], "dev");
        using var secondCollection = stores.Open(second.Name);
        var (secondDev, _) = await LearnedRankers.ExamplesAsync(secondCollection, analyzer, second, pooled, CancellationToken.None);
        List<RankingExample> Of(BeirDataset data) => [.. examples.Where(e => e.QueryId.StartsWith(data.Name + "/", StringComparison.Ordinal))];
        var (firstTrain, secondTrain) = (Of(first), Of(second));
        double Mean(List<RankingExample> list, BeirDataset data, Func<RankingExample, float[]> score) =>
            list.Average(e => LearnedRankers.Ndcg10(e with { QueryId = e.QueryId[(e.QueryId.IndexOf('/', StringComparison.Ordinal) + 1)..] }, score(e), data));
        float[] Bm25(RankingExample e) => [.. e.Features.Select(f => f[0])];

        Console.WriteLine($"| settings (trees, leaves, learning rate, min per leaf) | trained on {first.Name} train: {second.Name} dev nDCG@10 | trained on {second.Name} train: {first.Name} train nDCG@10 |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| BM25 | {Mean(secondDev, second, Bm25):0.0000} | {Mean(firstTrain, first, Bm25):0.0000} |"));
        foreach (var settings in new[] { RankerSettings.Default, RankerSettings.General })
        {
            var onFirst = RankerModel.Train(firstTrain, pooled, new Dictionary<string, float>(), provenance, settings);
            var onSecond = RankerModel.Train(secondTrain, pooled, new Dictionary<string, float>(), provenance, settings);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {settings.Trees}, {settings.Leaves}, {settings.LearningRate}, {settings.MinimumPerLeaf} | {Mean(secondDev, second, e => onFirst.Score(e.Features)):0.0000} | {Mean(firstTrain, first, e => onSecond.Score(e.Features)):0.0000} |"));
        }
    }

    /// <summary>PubMedQA PQA-L (qa.jsonl) as a BEIR folder: 1,000 abstracts, 1,000 questions, qrels/test.tsv.</summary>
    public static int PubMedQa(string source, string output)
    {
        Directory.CreateDirectory(Path.Combine(output, "qrels"));
        using var corpus = new StreamWriter(Path.Combine(output, "corpus.jsonl"));
        using var queries = new StreamWriter(Path.Combine(output, "queries.jsonl"));
        using var qrels = new StreamWriter(Path.Combine(output, "qrels", "test.tsv"));
        qrels.WriteLine("query-id\tcorpus-id\tscore");
        var count = 0;
        foreach (var line in File.ReadLines(Path.Combine(source, "qa.jsonl")))
        {
            using var item = JsonDocument.Parse(line);
            var id = item.RootElement.GetProperty("id").GetString()!;
            var text = string.Join(" ", item.RootElement.GetProperty("contexts").EnumerateArray().Select(c => c.GetString()));
            corpus.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = id, ["title"] = "", ["text"] = text }));
            queries.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = "q" + id, ["text"] = item.RootElement.GetProperty("question").GetString()! }));
            qrels.WriteLine($"q{id}\t{id}\t1");
            count++;
        }

        Console.WriteLine($"pubmedqa: {count} abstracts and questions -> {output}");
        return 0;
    }
}
