using System.Text.Json;
using Sift.Tests.Support;

namespace Sift.Tests.Cli;

/// <summary>
/// <c>sift train ranker</c> through the real CLI: SciFact's training queries teach a ranker for the collection holding
/// its corpus, which then beats BM25 on the test queries it never saw (and <c>--no-ranker</c> is BM25 again).
/// </summary>
public sealed class TrainCliTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Store => _folder.Combine("store");

    /// <summary>SciFact's test split evaluated by the CLI over <paramref name="collection"/> (made on first use): its JSON report.</summary>
    private async Task<JsonElement> EvaluateSciFactAsync(string collection, string[] extra)
    {
        var run = await SiftProcess.RunAsync(Store, ["--json", "eval", "retrieval", "--dataset", Paths.Dataset("scifact"), "--collection", collection, .. extra]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        return json.RootElement.Clone();
    }

    /// <summary>Collection "geo": two short Markdown files about glaciers, BM25 only.</summary>
    private async Task IngestGeographyAsync()
    {
        var docs = _folder.Combine("docs");
        Directory.CreateDirectory(docs);
        await File.WriteAllTextAsync(Path.Combine(docs, "a.md"), "# Glaciers\n\nGlaciers form where snow outlasts summer and slowly turns to ice.", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(docs, "b.md"), "# Deserts\n\nDeserts receive little rain; some glaciers survive on their mountains.", TestContext.Current.CancellationToken);
        var ingested = await SiftProcess.RunAsync(Store, "ingest", docs, "-c", "geo", "--embedder", "none");
        Assert.True(ingested.ExitCode == 0, ingested.Stderr);
    }

    private static double Ndcg(JsonElement report) => report.GetProperty("metrics").GetProperty("ndcg@10").GetDouble();

    [Fact]
    public async Task TestQueriesAreRefusedForTraining()
    {
        var result = await SiftProcess.RunAsync(Store, "train", "ranker", "-c", "sf", "--dataset", Paths.Dataset("scifact"), "--split", "test");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--split", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("keep test for reporting", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task ARankerTrainedOnSciFactTrainBeatsBm25OnItsTestQueries()
    {
        var scifact = Paths.Dataset("scifact");
        Task<JsonElement> EvaluateAsync(params string[] extra) => EvaluateSciFactAsync("sf", ["--embedder", "none", .. extra]);
        var bm25 = await EvaluateAsync();
        var trained = await SiftProcess.RunAsync(Store, "--json", "train", "ranker", "-c", "sf", "--dataset", scifact);
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        using (var report = JsonDocument.Parse(trained.Stdout))
        {
            Assert.Equal(809, report.RootElement.GetProperty("queries").GetInt32());
            Assert.All(report.RootElement.GetProperty("folds").EnumerateArray(), fold =>
                Assert.True(fold.GetProperty("learned").GetDouble() > fold.GetProperty("bm25").GetDouble(), fold.ToString()));
        }

        // Other settings changed later keep the ranker.
        var configured = await SiftProcess.RunAsync(Store, "collections", "configure", "sf", "--ef-search", "64");
        Assert.True(configured.ExitCode == 0, configured.Stderr);
        var learned = await EvaluateAsync();
        var again = await EvaluateAsync("--no-ranker");
        Assert.Equal("learned (top 100)", learned.GetProperty("provenance").GetProperty("reranker").GetString());
        Assert.Equal(Ndcg(bm25), Ndcg(again), 6);
        Assert.True(Ndcg(learned) >= 0.70, $"SciFact test nDCG@10 with the learned ranker: {Ndcg(learned):0.0000} (BM25 {Ndcg(bm25):0.0000})");
    }

    [Fact]
    public async Task TuningNeedsVectorsAndATrainingSplit()
    {
        var docs = _folder.Combine("docs");
        Directory.CreateDirectory(docs);
        await File.WriteAllTextAsync(Path.Combine(docs, "a.md"), "# Glaciers\n\nGlaciers form where snow outlasts summer.", TestContext.Current.CancellationToken);
        var ingested = await SiftProcess.RunAsync(Store, "ingest", docs, "-c", "plain", "--embedder", "none");
        Assert.True(ingested.ExitCode == 0, ingested.Stderr);

        var noVectors = await SiftProcess.RunAsync(Store, "tune", "-c", "plain", "--dataset", Paths.Dataset("scifact"));
        Assert.Equal(1, noVectors.ExitCode);
        Assert.Contains("has no vectors", noVectors.Stderr, StringComparison.Ordinal);
        var test = await SiftProcess.RunAsync(Store, "tune", "-c", "plain", "--dataset", Paths.Dataset("scifact"), "--split", "test");
        Assert.Equal(1, test.ExitCode);
        Assert.Contains("keep test for reporting", test.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task TunedHybridIsNotBelowBm25OnSciFactTest()
    {
        var scifact = Paths.Dataset("scifact");
        async Task<double> NdcgAsync(params string[] extra) => Ndcg(await EvaluateSciFactAsync("sfv", extra));
        var bm25 = await NdcgAsync();
        var untuned = await NdcgAsync("--mode", "hybrid");
        var tuned = await SiftProcess.RunAsync(Store, "--json", "tune", "-c", "sfv", "--dataset", scifact);
        Assert.True(tuned.ExitCode == 0, tuned.Stderr);
        using (var report = JsonDocument.Parse(tuned.Stdout))
        {
            var best = report.RootElement.GetProperty("best");
            // Chosen on train, where it is never below BM25 (weight 0 is BM25's order).
            Assert.True(best.GetProperty("ndcg10").GetDouble() >= report.RootElement.GetProperty("bm25").GetDouble(), report.RootElement.ToString());
        }

        var hybrid = await NdcgAsync("--mode", "hybrid");
        Assert.True(hybrid > untuned + 0.1, $"tuned hybrid {hybrid:0.0000}, untuned {untuned:0.0000}");
        Assert.True(hybrid >= bm25 - 0.01, $"tuned hybrid {hybrid:0.0000}, BM25 {bm25:0.0000}");
    }

    [Fact]
    public async Task TheGeneralRankerIsChosenPerCollectionAndRecordedAsAVersion()
    {
        await IngestGeographyAsync();
        var both = await SiftProcess.RunAsync(Store, "train", "ranker", "-c", "geo", "--general", "--remove");
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("one of --dataset DIR", both.Stderr, StringComparison.Ordinal);

        var chosen = await SiftProcess.RunAsync(Store, "train", "ranker", "-c", "geo", "--general");
        Assert.True(chosen.ExitCode == 0, chosen.Stderr);
        Assert.Contains("general ranker (scifact+nfcorpus train", chosen.Stdout, StringComparison.Ordinal);
        var diff = await SiftProcess.RunAsync(Store, "versions", "diff", "1", "2", "-c", "geo");
        Assert.True(diff.ExitCode == 0, diff.Stderr);
        Assert.Contains("learned ranker", diff.Stdout, StringComparison.Ordinal);

        var search = await SiftProcess.RunAsync(Store, "--json", "search", "how do glaciers form", "-c", "geo");
        Assert.True(search.ExitCode == 0, search.Stderr);
        using var results = JsonDocument.Parse(search.Stdout);
        Assert.Contains("a.md", results.RootElement.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task ARankerLearnsFromRatedAnswersInTheQueryLog()
    {
        var scifact = Paths.Dataset("scifact");
        async Task<double> NdcgAsync() => Ndcg(await EvaluateSciFactAsync("sf", ["--embedder", "none"]));
        var bm25 = await NdcgAsync();

        // Users ask SciFact's training claims; each answer is given BM25's top 10 and cites the passages among them that
        // bear on the claim (the training judgments stand in for a model that reads them), else its first; the user
        // rates it helpful when what it cites is relevant, unhelpful otherwise.
        var train = Sift.Evaluation.Beir.BeirDataset.LoadJudgedQueries(scifact, "train");
        var helpful = new HashSet<string>(StringComparer.Ordinal);
        using (var analyzer = new Sift.Index.Analysis.EnglishTextAnalyzer())
        using (var stores = Sift.Composition.SiftStores.Open(Sift.Core.Storage.StoreLocation.Resolve(Store), analyzer))
        using (var collection = stores.Open("sf"))
        using (var log = new Sift.Generation.Logging.QueryLog(Store))
        {
            var retriever = Sift.Retrieval.RetrieverFactory.Create(collection, analyzer, new Sift.Retrieval.RetrievalSettings("bm25"));
            foreach (var (id, claim) in train.Queries.Take(400))
            {
                var context = (await retriever.RetrieveAsync(new Sift.Core.Stages.RetrievalQuery(claim, 10), TestContext.Current.CancellationToken)).Select(r => r.Chunk).ToList();
                var bearing = context.Where(c => train.Qrels[id].GetValueOrDefault(c.DocumentId) > 0).ToList();
                var cited = bearing.Count > 0 ? bearing : context.Take(1).ToList();
                var record = new Sift.Generation.AnswerRecord(
                    claim, "An answer [1].", [.. cited.Select((c, i) => new Sift.Generation.Citations.Citation(i + 1, c.Id, c.DocumentId, c.DocumentId, 0, 1, "."))],
                    [.. context.Select(c => new Sift.Generation.RetrievedSource(c.Id, c.DocumentId, 1))], new Dictionary<string, double>(), null, "test", 0, 0, 0m,
                    new Sift.Generation.AnswerFlags(false, false, false, 0, 0));
                var answer = log.RecordAnswer(record, "sf", 1);
                var relevant = bearing.Count > 0;
                if (relevant)
                {
                    helpful.Add(claim);
                }

                log.AddFeedback(answer, relevant ? 1 : -1, null);
            }
        }

        var trained = await SiftProcess.RunAsync(Store, "--json", "train", "ranker", "-c", "sf", "--from-feedback");
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        using (var report = JsonDocument.Parse(trained.Stdout))
        {
            Assert.Equal("feedback", report.RootElement.GetProperty("dataset").GetString());
            Assert.Equal(helpful.Count, report.RootElement.GetProperty("queries").GetInt32()); // one query per question rated helpful (two claims share a text)
        }

        var learned = await NdcgAsync();
        Assert.True(learned > bm25 + 0.01, $"SciFact test nDCG@10 with a ranker learned from {helpful.Count} helpful answers: {learned:0.0000} (BM25 {bm25:0.0000})");
    }

    [Fact]
    public async Task Rm3IsARequestsOrACollectionsChoiceAndTurnsTheLearnedRankerOff()
    {
        await IngestGeographyAsync();
        Assert.Equal(0, (await SiftProcess.RunAsync(Store, "train", "ranker", "-c", "geo", "--general")).ExitCode);
        async Task<string> ModeAsync(params string[] extra)
        {
            var search = await SiftProcess.RunAsync(Store, ["--json", "search", "glaciers", "-c", "geo", .. extra]);
            Assert.True(search.ExitCode == 0, search.Stderr);
            using var json = JsonDocument.Parse(search.Stdout);
            return json.RootElement.GetProperty("mode").GetString()!;
        }

        Assert.Equal("bm25+rerank", await ModeAsync());
        Assert.Equal("bm25+rm3", await ModeAsync("--expand", "rm3")); // the ranker never saw expanded scores

        var configured = await SiftProcess.RunAsync(Store, "collections", "configure", "geo", "--expand", "rm3");
        Assert.True(configured.ExitCode == 0, configured.Stderr);
        Assert.Contains("expansion rm3", configured.Stdout, StringComparison.Ordinal);
        Assert.Equal("bm25+rm3", await ModeAsync());
        Assert.Equal("bm25+rerank", await ModeAsync("--expand", "none"));

        var wrong = await SiftProcess.RunAsync(Store, "search", "glaciers", "-c", "geo", "--expand", "rm9");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("rm9", wrong.Stderr, StringComparison.Ordinal);
    }
}
