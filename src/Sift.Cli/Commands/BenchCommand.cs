using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Sift.Cli.Output;
using Sift.Evaluation;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Metrics;
using Sift.Index.Lexical;
using Sift.Index.Storage;
using Sift.Ingest;
using Sift.Ingest.Chunking;
using Sift.Retrieval.Lexical;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift bench retrieval --dataset DIR</c>: index time, index load time, single-thread query latency and disk size
/// on a BEIR dataset, with the machine it ran on, so the numbers in docs/benchmarks.md can be reproduced.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var dataset = CommonOptions.Dataset();
        var split = CommonOptions.Split();
        var rounds = new Option<int>("--rounds") { Description = "Timed passes over the queries", DefaultValueFactory = _ => 3 };
        var output = CommonOptions.Out("Write the results as JSON");
        var retrieval = new Command("retrieval", "Benchmark BM25 indexing and query latency") { dataset, split, rounds, output };
        retrieval.SetAction(result =>
        {
            var data = BeirDataset.Load(result.GetValue(dataset)!, result.GetValue(split)!);
            using var temporary = new TemporaryStore(CommonOptions.Analyzer, "bench");
            using var collection = temporary.Store.OpenOrCreate(data.Name);
            var ingest = new IngestPipeline(Ingest.Loading.LoaderRegistry.Default, new WholeDocumentChunker(), collection)
                .Run(new IngestRequest(data.CorpusPath!));
            collection.FinishIngest("document");

            using var reopened = temporary.Store.Open(data.Name);
            var load = Stopwatch.StartNew();
            var snapshot = reopened.LexicalIndex(Bm25Parameters.Default);
            load.Stop();

            var retriever = new LexicalRetriever(reopened, CommonOptions.Analyzer);
            var queries = data.Queries.Values.ToList();
            var latency = LatencyBenchmark.Measure(queries, q => retriever.RankDocuments(q, 100), result.GetValue(rounds));
            var quality = RetrievalEvaluator.Evaluate(data, (q, n) => retriever.RankDocuments(q, n), MetricSpec.Defaults, 100);
            var report = new
            {
                dataset = data.Name,
                machine = new { RuntimeInformation.OSDescription, Environment.ProcessorCount, RuntimeInformation.FrameworkDescription },
                date = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd"),
                documents = snapshot.Index.Count,
                terms = snapshot.Index.TermCount,
                indexSeconds = ingest.Elapsed.TotalSeconds,
                documentsPerSecond = ingest.Added / ingest.Elapsed.TotalSeconds,
                indexLoadMs = load.Elapsed.TotalMilliseconds,
                diskBytes = reopened.Info().SizeBytes,
                latency,
                parallelQueriesPerSecond = quality.QueriesPerSecond,
                ndcgAt10 = quality.Means["ndcg@10"],
                recallAt100 = quality.Means["recall@100"],
            };
            if (result.GetValue(output) is { } file)
            {
                JsonOutput.WriteFile(file, report);
            }

            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(report);
            }
            else
            {
                var table = new Table().Title($"BM25 on {data.Name}").AddColumns("measure", "value");
                table.AddRow("documents", report.documents.ToString("N0"));
                table.AddRow("index time", $"{report.indexSeconds:0.00} s ({report.documentsPerSecond:N0} docs/s)");
                table.AddRow("index load", $"{report.indexLoadMs:0} ms");
                table.AddRow("disk", $"{report.diskBytes / 1024.0 / 1024.0:0.0} MB");
                table.AddRow("query p50 / p95 / p99", $"{latency.P50Ms:0.000} / {latency.P95Ms:0.000} / {latency.P99Ms:0.000} ms");
                table.AddRow("queries/s (1 thread)", latency.QueriesPerSecond.ToString("N0"));
                table.AddRow($"queries/s ({Environment.ProcessorCount} threads)", report.parallelQueriesPerSecond.ToString("N0"));
                table.AddRow("nDCG@10 / Recall@100", $"{report.ndcgAt10:0.0000} / {report.recallAt100:0.0000}");
                AnsiConsole.Write(table);
            }

            return 0;
        });
        return new Command("bench", "Measure speed (see docs/benchmarks.md)") { retrieval };
    }
}
