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
        async Task<JsonElement> EvaluateAsync(params string[] extra)
        {
            var run = await SiftProcess.RunAsync(Store, ["--json", "eval", "retrieval", "--dataset", scifact, "--collection", "sf", "--embedder", "none", .. extra]);
            Assert.True(run.ExitCode == 0, run.Stderr);
            using var json = JsonDocument.Parse(run.Stdout);
            return json.RootElement.Clone();
        }

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
        double Ndcg(JsonElement run) => run.GetProperty("metrics").GetProperty("ndcg@10").GetDouble();
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
        async Task<double> NdcgAsync(params string[] extra)
        {
            var run = await SiftProcess.RunAsync(Store, ["--json", "eval", "retrieval", "--dataset", scifact, "--collection", "sfv", .. extra]);
            Assert.True(run.ExitCode == 0, run.Stderr);
            using var json = JsonDocument.Parse(run.Stdout);
            return json.RootElement.GetProperty("metrics").GetProperty("ndcg@10").GetDouble();
        }

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
        var docs = _folder.Combine("docs");
        Directory.CreateDirectory(docs);
        await File.WriteAllTextAsync(Path.Combine(docs, "a.md"), "# Glaciers\n\nGlaciers form where snow outlasts summer and slowly turns to ice.", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(docs, "b.md"), "# Deserts\n\nDeserts receive little rain; some glaciers survive on their mountains.", TestContext.Current.CancellationToken);
        Assert.Equal(0, (await SiftProcess.RunAsync(Store, "ingest", docs, "-c", "geo", "--embedder", "none")).ExitCode);

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
}
