using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Sift.Evaluation;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Metrics;

namespace Sift.Benchmarks.Engines;

/// <summary>
/// BM25 engines on BEIR datasets: each builds its index, is scored with Sift's evaluator, then timed one query at a
/// time with <see cref="LatencyBenchmark"/> (warm-up to steady state, median of 20 passes). Every line starting with
/// RESULT is what benchmarks/run-bm25-engines.sh collects from one process per engine and run.
/// </summary>
internal static class EnginesCommand
{
    private static readonly string[] Keys = ["sift", "lucene-net", "fts5-porter", "fts5-analyzed"];

    public static async Task<int> Run(string[] args)
    {
        var only = args.Length >= 2 && args[0] == "--engine" ? args[1] : null;
        if (only is not null && !Keys.Contains(only))
        {
            Console.Error.WriteLine($"unknown engine '{only}' (use {string.Join(", ", Keys)})");
            return 2;
        }

        var folders = only is null ? args : args[2..];
        Console.WriteLine($"machine: {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}; date {DateTime.UtcNow:yyyy-MM-dd}");
        foreach (var folder in folders)
        {
            var dataset = BeirDataset.Load(folder);
            var corpus = Corpus.Read(dataset.CorpusPath!);
            var work = Path.Combine(Path.GetTempPath(), $"sift-engines-{Guid.NewGuid():N}");
            try
            {
                foreach (var key in only is null ? Keys : [only])
                {
                    using var engine = Create(key, work, dataset.CorpusPath!);
                    var build = Stopwatch.StartNew();
                    engine.Build(corpus);
                    build.Stop();
                    var quality = await RetrievalEvaluator.EvaluateAsync(dataset, (q, k, _) => Task.FromResult(engine.Search(q, k)), MetricSpec.Defaults, 100);
                    var latency = LatencyBenchmark.Measure([.. dataset.Queries.Values], q => engine.Search(q, 100));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"RESULT dataset={dataset.Name} engine={key} ndcg10={quality.Means["ndcg@10"]:0.0000} recall100={quality.Means["recall@100"]:0.0000} index_s={build.Elapsed.TotalSeconds:0.00} p50_ms={latency.P50Ms:0.000} p95_ms={latency.P95Ms:0.000} qps={latency.QueriesPerSecond:0} qps_min={latency.MinQueriesPerSecond:0} qps_max={latency.MaxQueriesPerSecond:0} warmup={latency.WarmUpPasses} disk_mb={engine.DiskBytes / 1048576.0:0.0} name=\"{engine.Name}\""));
                }
            }
            finally
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(work, recursive: true);
            }
        }

        return 0;
    }

    private static ILexicalEngine Create(string key, string work, string corpusPath) => key switch
    {
        "sift" => new SiftEngine(Path.Combine(work, "sift"), corpusPath),
        "lucene-net" => new LuceneEngine(Path.Combine(work, "lucene")),
        "fts5-porter" => new Fts5Engine(Path.Combine(work, "fts5-porter"), preAnalyzed: false),
        _ => new Fts5Engine(Path.Combine(work, "fts5-analyzed"), preAnalyzed: true),
    };

    /// <summary>The corpus and the evaluated split's queries as tab-separated lines (tabs and line breaks in text become spaces).</summary>
    public static int Export(string folder, string outDirectory)
    {
        var dataset = BeirDataset.Load(folder);
        Directory.CreateDirectory(outDirectory);
        static string Clean(string text) => text.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ');
        File.WriteAllLines(Path.Combine(outDirectory, "corpus.tsv"), Corpus.Read(dataset.CorpusPath!).Select(r => $"{Clean(r.Id)}\t{Clean(r.Title)}\t{Clean(r.Text)}"));
        File.WriteAllLines(Path.Combine(outDirectory, "queries.tsv"), dataset.Queries.Select(q => $"{Clean(q.Key)}\t{Clean(q.Value)}"));
        return 0;
    }

    /// <summary>Scores a TREC run file (query Q0 doc rank score tag) with the evaluator every engine is scored with.</summary>
    public static async Task<int> Score(string folder, string runFile)
    {
        var dataset = BeirDataset.Load(folder);
        var run = File.ReadLines(runFile)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .GroupBy(f => f[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<(string, double)>)[.. g.Select(f => (f[2], double.Parse(f[4], CultureInfo.InvariantCulture)))], StringComparer.Ordinal);
        var byText = dataset.Queries.GroupBy(q => q.Value, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Key, StringComparer.Ordinal);
        var quality = await RetrievalEvaluator.EvaluateAsync(dataset, (q, k, _) =>
            Task.FromResult(run.TryGetValue(byText[q], out var ranked) ? (IReadOnlyList<(string, double)>)[.. ranked.Take(k)] : []), MetricSpec.Defaults, 100);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SCORE ndcg10={quality.Means["ndcg@10"]:0.0000} recall100={quality.Means["recall@100"]:0.0000}"));
        return 0;
    }
}
