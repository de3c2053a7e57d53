using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Sift.Benchmarks.Engines;
using Sift.Benchmarks.Vectors;
using Sift.Evaluation;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Metrics;

// Usage (dotnet run -c Release --project benchmarks/Sift.Benchmarks -- ...):
//   engines DATASET_DIR...        BM25 engines compared: quality, index time, query latency, disk size
//   vectors-synthetic OUT_DIR     200k clustered 384-d vectors: Sift HNSW recall/QPS, build time, exact-scan GB/s;
//                                 writes data.f32, queries.f32, truth.i32 for the Node.js peers (run-vector-peers.sh)
//   vectors-beir DATASET_DIR...   the same on corpora embedded with Sift's offline embedder
//   access DATASET_DIR            BM25 with statistics over a caller's visible documents vs the whole index
//   support SCIFACT_DIR           the offline citation support check on SciFact claims (threshold from train, test reported)
switch (args.FirstOrDefault())
{
    case "support" when args.Length == 2:
        return Sift.Benchmarks.SupportCommand.Run(args[1]);
    case "access" when args.Length == 2:
        return Sift.Benchmarks.AccessCommand.Run(args[1]);
    case "vectors-synthetic" when args.Length == 2:
        return VectorCommands.Synthetic(args[1]);
    case "vectors-beir" when args.Length >= 2:
        return VectorCommands.Beir(args[1..]);
    case "engines" when args.Length >= 2:
        break;
    default:
        Console.Error.WriteLine("usage: Sift.Benchmarks engines DATASET_DIR... | vectors-synthetic OUT_DIR | vectors-beir DATASET_DIR... | access DATASET_DIR | support SCIFACT_DIR");
        return 2;
}

Console.WriteLine($"machine: {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}; date {DateTime.UtcNow:yyyy-MM-dd}");
Console.WriteLine("| dataset | engine | nDCG@10 | Recall@100 | index s | p50 ms | p95 ms | q/s (1 thread) | disk MB |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
foreach (var folder in args.Skip(1))
{
    var dataset = BeirDataset.Load(folder);
    var corpus = Corpus.Read(dataset.CorpusPath!);
    var work = Path.Combine(Path.GetTempPath(), $"sift-engines-{Guid.NewGuid():N}");
    try
    {
        ILexicalEngine[] engines =
        [
            new SiftEngine(Path.Combine(work, "sift"), dataset.CorpusPath!),
            new LuceneEngine(Path.Combine(work, "lucene")),
            new Fts5Engine(Path.Combine(work, "fts5-porter"), preAnalyzed: false),
            new Fts5Engine(Path.Combine(work, "fts5-analyzed"), preAnalyzed: true),
        ];
        foreach (var engine in engines)
        {
            using (engine)
            {
                var build = Stopwatch.StartNew();
                engine.Build(corpus);
                build.Stop();
                var quality = await RetrievalEvaluator.EvaluateAsync(dataset, (q, k, _) => Task.FromResult(engine.Search(q, k)), MetricSpec.Defaults, 100);
                var latency = LatencyBenchmark.Measure([.. dataset.Queries.Values], q => engine.Search(q, 100));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {dataset.Name} | {engine.Name} | {quality.Means["ndcg@10"]:0.0000} | {quality.Means["recall@100"]:0.0000} | {build.Elapsed.TotalSeconds:0.00} | {latency.P50Ms:0.000} | {latency.P95Ms:0.000} | {latency.QueriesPerSecond:0} | {engine.DiskBytes / 1048576.0:0.0} |"));
            }
        }
    }
    finally
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(work, recursive: true);
    }
}

return 0;

/// <summary>A BEIR corpus.jsonl as records.</summary>
internal static class Corpus
{
    public static List<CorpusRecord> Read(string path) =>
    [.. File.ReadLines(path).Where(l => l.Length > 0).Select(line =>
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        return new CorpusRecord(
            root.GetProperty("_id").GetString()!,
            root.TryGetProperty("title", out var title) ? title.GetString() ?? "" : "",
            root.TryGetProperty("text", out var text) ? text.GetString() ?? "" : "");
    })];
}
