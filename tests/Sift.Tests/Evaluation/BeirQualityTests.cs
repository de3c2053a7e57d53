using System.Text.Json;
using Sift.Tests.Support;

namespace Sift.Tests.Evaluation;

/// <summary>
/// Sift's CI measures itself with its own evaluator on public BEIR data: BM25 must stay at the published baselines
/// (BEIR paper: SciFact 0.665, NFCorpus 0.325; Pyserini flat: 0.679, 0.322).
/// </summary>
[Trait("Category", "Slow")]
public sealed class BeirQualityTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("scifact", 0.66, 0.90)]
    [InlineData("nfcorpus", 0.318, 0.24)]
    public async Task Bm25MeetsThePublishedBaseline(string dataset, double minimumNdcg, double minimumRecall)
    {
        var run = _folder.Combine("run.trec");
        var result = await SiftProcess.RunAsync(_folder.Combine("store"), "eval", "retrieval", "--dataset", Paths.Dataset(dataset), "--run-out", run, "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var report = JsonDocument.Parse(result.Stdout);
        var metrics = report.RootElement.GetProperty("metrics");
        var ndcg = metrics.GetProperty("ndcg@10").GetDouble();
        Assert.True(ndcg >= minimumNdcg, $"{dataset} nDCG@10 {ndcg:0.0000} < {minimumNdcg}");
        Assert.True(metrics.GetProperty("recall@100").GetDouble() >= minimumRecall);

        // The run file has a line per retrieved document (at most 100 per query) in trec_eval's format. A query
        // none of whose terms occur in the corpus (NFCorpus has 15, e.g. "Zoloft") retrieves nothing and has no line.
        var lines = File.ReadAllLines(run);
        var perQuery = lines.GroupBy(l => l.Split(' ')[0]).ToList();
        Assert.InRange(perQuery.Count, 1, report.RootElement.GetProperty("queries").GetInt32());
        Assert.All(perQuery, q => Assert.InRange(q.Count(), 1, 100));
        Assert.Matches(@"^\S+ Q0 \S+ 1 \d+(\.\d+)? sift-bm25$", lines[0]);
    }

    [Fact]
    public async Task TheReleaseGateHoldsAgainstTheCommittedSciFactBaseline()
    {
        var baseline = Path.Combine(Paths.RepositoryRoot, "benchmarks", "baselines", "scifact-bm25.json");
        var store = _folder.Combine("store");
        var gate = await SiftProcess.RunAsync(store, "eval", "retrieval", "--dataset", Paths.Dataset("scifact"), "--collection", "scifact", "--baseline", baseline, "--max-drop", "ndcg@10=0.01", "--max-drop", "recall@100=0.01", "--json");
        Assert.True(gate.ExitCode == 0, gate.Stderr);

        // A planted regression (dense retrieval with the static embedder) must fail it, naming the metric and queries.
        var regressed = await SiftProcess.RunAsync(store, "eval", "retrieval", "--dataset", Paths.Dataset("scifact"), "--collection", "scifact", "--mode", "dense", "--baseline", baseline, "--max-drop", "ndcg@10=0.01", "--json");
        Assert.Equal(3, regressed.ExitCode);
        Assert.Contains("regression: ndcg@10 dropped by", regressed.Stderr, StringComparison.Ordinal);
        Assert.Contains("worst queries:", regressed.Stderr, StringComparison.Ordinal);
    }
}
