using System.Globalization;
using Sift.Composition;
using Sift.Evaluation.Beir;
using Sift.Index.Analysis;
using Sift.Models.Learned;

namespace Sift.Benchmarks;

/// <summary>
/// How the learned ranker's training settings were chosen: trained on the train split with each candidate setting,
/// with and without judged priors, scored on a split kept for choosing (NFCorpus's dev), never on test.
/// </summary>
internal static class RankerDevCommand
{
    private static readonly RankerSettings[] Grid =
    [
        RankerSettings.Default, new(300, 15, 0.05, 30), new(600, 31, 0.05, 50), new(500, 15, 0.03, 100), new(300, 63, 0.05, 100), new(1000, 7, 0.05, 50),
    ];

    public static async Task<int> Run(string store, string collectionName, string datasetFolder, string split)
    {
        using var analyzer = new EnglishTextAnalyzer();
        using var stores = SiftStores.Open(Core.Storage.StoreLocation.Resolve(store), analyzer);
        using var collection = stores.Open(collectionName);
        var train = BeirDataset.LoadJudgedQueries(datasetFolder, "train");
        var dev = BeirDataset.LoadJudgedQueries(datasetFolder, split);
        var (trainExamples, lengths) = await LearnedRankers.ExamplesAsync(collection, analyzer, train, null, CancellationToken.None);
        var (devExamples, _) = await LearnedRankers.ExamplesAsync(collection, analyzer, dev, lengths, CancellationToken.None);
        var provenance = new RankerProvenance(train.Name, "train", trainExamples.Count, "", LearnedRankers.Depth, "", [], "");
        var priors = JudgedPriors.Of([.. trainExamples.Select(e => train.Qrels[e.QueryId])]);
        var withPriors = (Train: JudgedPriors.OutOfFold(trainExamples, id => train.Qrels[id], 3), Dev: devExamples.Select(e => JudgedPriors.With(e, priors)).ToList());
        var none = new Dictionary<string, float>();

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{train.Name}: {trainExamples.Count} train queries, {devExamples.Count} {split} queries; {split} nDCG@10 BM25 {devExamples.Average(e => LearnedRankers.Ndcg10(e, [.. e.Features.Select(f => f[0])], dev)):0.0000}"));
        Console.WriteLine($"| trees | leaves | learning rate | min per leaf | {split} nDCG@10, no priors | with judged priors | training s |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var settings in Grid)
        {
            var without = RankerModel.Train(trainExamples, lengths, none, provenance, settings);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var with = RankerModel.Train(withPriors.Train, lengths, priors, provenance, settings);
            var seconds = watch.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {settings.Trees} | {settings.Leaves} | {settings.LearningRate} | {settings.MinimumPerLeaf} | {devExamples.Average(e => LearnedRankers.Ndcg10(e, without.Score(e.Features), dev)):0.0000} | {withPriors.Dev.Average(e => LearnedRankers.Ndcg10(e, with.Score(e.Features), dev)):0.0000} | {seconds:0.0} |"));
        }

        return 0;
    }
}
