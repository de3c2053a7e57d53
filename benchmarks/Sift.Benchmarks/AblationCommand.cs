using System.Globalization;
using Sift.Composition;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Statistics;
using Sift.Index.Analysis;
using Sift.Models.Learned;

namespace Sift.Benchmarks;

/// <summary>
/// What each feature group of the learned ranker contributes: the ranker trained on the train split with one group
/// left out (its features held at zero, so no tree can split on them), scored on the test split, against the ranker
/// with every feature and against BM25; the same training settings as sift train ranker.
/// </summary>
internal static class AblationCommand
{
    private static readonly (string Group, string[] Features)[] Groups =
    [
        ("first-stage score and rank", ["first_stage_score", "log_rank", "score_over_top"]),
        ("BM25 on fields and with other k1/b", ["bm25_body", "bm25_title", "bm25_k1.2_b.75", "bm25_k2_b.9"]),
        ("query coverage (IDF, title, terms)", ["idf_coverage", "title_idf_coverage", "term_coverage"]),
        ("proximity", ["proximity"]),
        ("length", ["log_length"]),
        ("GloVe SIF similarity", ["glove_cosine"]),
        ("RM3", ["rm3"]),
        ("query IDF", ["query_idf"]),
        ("judged prior", ["judged_prior"]),
    ];

    public static async Task<int> Run(string store, string collectionName, string datasetFolder)
    {
        using var analyzer = new EnglishTextAnalyzer();
        using var stores = SiftStores.Open(Core.Storage.StoreLocation.Resolve(store), analyzer);
        using var collection = stores.Open(collectionName);
        var train = BeirDataset.LoadJudgedQueries(datasetFolder, "train");
        var test = BeirDataset.LoadJudgedQueries(datasetFolder, "test");
        var (trainExamples, lengths) = await LearnedRankers.ExamplesAsync(collection, analyzer, train, null, CancellationToken.None);
        var (testExamples, _) = await LearnedRankers.ExamplesAsync(collection, analyzer, test, lengths, CancellationToken.None);
        var priors = JudgedPriors.Of([.. trainExamples.Select(e => train.Qrels[e.QueryId])]);
        trainExamples = JudgedPriors.OutOfFold(trainExamples, id => train.Qrels[id], 3);
        testExamples = [.. testExamples.Select(e => JudgedPriors.With(e, priors))];
        var provenance = new RankerProvenance(train.Name, "train", trainExamples.Count, "", LearnedRankers.Depth, "", [], "");

        double[] PerQuery(Func<RankingExample, float[]> score) => [.. testExamples.Select(e => LearnedRankers.Ndcg10(e, score(e), test))];
        List<RankingExample> Without(List<RankingExample> examples, HashSet<int> hidden) =>
            [.. examples.Select(e => e with { Features = [.. e.Features.Select(f => f.Select((v, i) => hidden.Contains(i) ? 0f : v).ToArray())] })];

        var bm25 = PerQuery(e => [.. e.Features.Select(f => f[0])]);
        var everything = RankerModel.Train(trainExamples, lengths, priors, provenance);
        var all = PerQuery(e => everything.Score(e.Features));
        var stored = collection.Settings.Ranker is { } json ? PerQuery(e => RankerModel.Parse(json).Score(e.Features)).Average() : double.NaN;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{train.Name}: trained on {trainExamples.Count} train queries, tested on {testExamples.Count}; test nDCG@10 BM25 {bm25.Average():0.0000}, every feature {all.Average():0.0000} (the collection's own ranker on the same examples: {stored:0.0000})"));
        Console.WriteLine("| left out | test nDCG@10 | change against every feature (95% CI, p) |");
        Console.WriteLine("|---|---|---|");
        var names = RankingFeatures.Names.ToList();
        foreach (var (group, features) in Groups)
        {
            var hidden = features.Select(f => names.IndexOf(f)).ToHashSet();
            var model = RankerModel.Train(Without(trainExamples, hidden), lengths, priors, provenance);
            var masked = Without(testExamples, hidden);
            var scores = PerQuery(e => model.Score(masked[testExamples.IndexOf(e)].Features));
            var comparison = Bootstrap.Paired("ndcg@10", all, scores);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {group} | {scores.Average():0.0000} | {PairedComparison.Signed(comparison.Difference, 4)} ({PairedComparison.Signed(comparison.Low, 3)}..{PairedComparison.Signed(comparison.High, 3)}, p = {comparison.PValue:0.####}) |"));
        }

        return 0;
    }
}
