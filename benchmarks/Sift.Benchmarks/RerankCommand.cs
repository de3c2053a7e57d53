using System.Diagnostics;
using System.Globalization;
using Sift.Composition;
using Sift.Core.Stages;
using Sift.Evaluation;
using Sift.Evaluation.Beir;
using Sift.Index.Analysis;
using Sift.Retrieval;

namespace Sift.Benchmarks;

/// <summary>
/// The learned ranker's cost per query on one thread: BM25's top 100 for each test query (the first stage, timed
/// apart), then the rerank stage alone (features and the model) over them, five passes after two warm-up passes.
/// </summary>
internal static class RerankCommand
{
    public static async Task<int> Run(string store, string collectionName, string datasetFolder)
    {
        var data = BeirDataset.LoadJudgedQueries(datasetFolder, "test");
        using var analyzer = new EnglishTextAnalyzer();
        using var stores = SiftStores.Open(Core.Storage.StoreLocation.Resolve(store), analyzer);
        using var collection = stores.Open(collectionName);
        var ranker = LearnedRankers.For(collection, analyzer, access: null) ?? throw new Core.SiftException($"'{collectionName}' has no learned ranker: sift train ranker first");
        var first = RetrieverFactory.Create(collection, analyzer, new RetrievalSettings("bm25"));
        var queries = data.Queries.Values.ToList();
        var candidates = new List<IReadOnlyList<RetrievedChunk>>();
        var firstStage = new List<double>();
        foreach (var query in queries)
        {
            var started = Stopwatch.GetTimestamp();
            candidates.Add(await first.RetrieveAsync(new RetrievalQuery(query, LearnedRankers.Depth)));
            firstStage.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        var rerank = new List<double>();
        for (var pass = 0; pass < 7; pass++)
        {
            for (var i = 0; i < queries.Count; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await ranker.RerankAsync(queries[i], candidates[i]);
                if (pass >= 2)
                {
                    rerank.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
        }

        // The two parts of the stage apart: features, then the model.
        var model = Models.Learned.RankerModel.Parse(collection.Settings.Ranker!);
        var cache = new Models.Learned.CandidateCache(analyzer);
        var index = collection.LexicalIndex(Core.Storage.Bm25Parameters.Default);
        var (features, scoring) = (new List<double>(), new List<double>());
        for (var pass = 0; pass < 4; pass++)
        {
            for (var i = 0; i < queries.Count; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var computed = Models.Learned.RankingFeatures.Compute(
                    cache.Terms(queries[i]), Models.Static.StaticWordEmbedder.Default.Embed(queries[i]), [.. candidates[i].Select(c => cache.For(c.Chunk, c.Score))], t => index.Idf(t, null), model.Lengths,
                    [.. candidates[i].Select(c => model.Priors.GetValueOrDefault(c.Chunk.DocumentId))]);
                var between = Stopwatch.GetTimestamp();
                model.Score(computed);
                if (pass >= 1)
                {
                    features.Add(Stopwatch.GetElapsedTime(started, between).TotalMilliseconds);
                    scoring.Add(Stopwatch.GetElapsedTime(between).TotalMilliseconds);
                }
            }
        }

        features.Sort();
        scoring.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"of which features p50 {LatencyBenchmark.Percentile(features, 0.5):0.00} ms, the model p50 {LatencyBenchmark.Percentile(scoring, 0.5):0.00} ms"));
        firstStage.Sort();
        rerank.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{data.Name} test, {queries.Count} queries, top {LearnedRankers.Depth}, one thread: first stage (BM25 + reading 100 chunks) p50 {LatencyBenchmark.Percentile(firstStage, 0.5):0.00} ms p99 {LatencyBenchmark.Percentile(firstStage, 0.99):0.00} ms; rerank p50 {LatencyBenchmark.Percentile(rerank, 0.5):0.00} ms p99 {LatencyBenchmark.Percentile(rerank, 0.99):0.00} ms"));
        return 0;
    }
}
