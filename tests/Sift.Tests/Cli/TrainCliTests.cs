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

        var learned = await EvaluateAsync();
        var again = await EvaluateAsync("--no-ranker");
        double Ndcg(JsonElement run) => run.GetProperty("metrics").GetProperty("ndcg@10").GetDouble();
        Assert.Equal("learned (top 100)", learned.GetProperty("provenance").GetProperty("reranker").GetString());
        Assert.Equal(Ndcg(bm25), Ndcg(again), 6);
        Assert.True(Ndcg(learned) >= 0.70, $"SciFact test nDCG@10 with the learned ranker: {Ndcg(learned):0.0000} (BM25 {Ndcg(bm25):0.0000})");
    }
}
