using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Sift.Cli.Output;
using Sift.Composition;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Evaluation;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Metrics;
using Sift.Generation.Citations;
using Sift.Generation.Context;
using Sift.Generation.Extractive;
using Sift.Generation.Prompts;
using Sift.Index.Lexical;
using Sift.Index.Storage;
using Sift.Ingest;
using Sift.Ingest.Chunking;
using Sift.Ingest.Loading;
using Sift.Retrieval;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift bench retrieval --dataset DIR</c>: index time, index load times, and per retrieval mode the single-thread
/// query latency and quality on a BEIR dataset, with the machine it ran on, so docs/benchmarks.md can be reproduced.
/// </summary>
internal static class BenchCommand
{
    private static readonly (string Name, string Mode, string Fusion, bool Exact)[] Modes =
    [
        ("bm25", "bm25", "rrf", false),
        ("dense (HNSW)", "dense", "rrf", false),
        ("dense (exact)", "dense", "rrf", true),
        ("hybrid rrf", "hybrid", "rrf", false),
        ("hybrid weighted", "hybrid", "weighted", false),
    ];

    /// <summary>
    /// <c>sift bench ask --dataset DIR</c>: the time Sift adds around an LLM call for a 10-chunk context (context
    /// assembly with tokenization, prompt rendering, citation checking of a cited answer), and the extractive answerer.
    /// </summary>
    private static Command AskOverhead()
    {
        var dataset = CommonOptions.Dataset();
        var output = CommonOptions.Out("Write the results as JSON");
        var command = new Command("ask", "Measure the overhead around the LLM call for a 10-chunk context") { dataset, output };
        command.SetAction(async (result, cancellation) =>
        {
            var data = BeirDataset.Load(result.GetValue(dataset)!);
            using var temporary = new TemporaryStore(CommonOptions.Analyzer, "bench");
            using var collection = temporary.Store.OpenOrCreate(data.Name);
            SiftStores.BindEmbedder(collection, "none");
            await new IngestPipeline(LoaderRegistry.Default, new WholeDocumentChunker(), collection, collection.Embedder).RunAsync(new IngestRequest(data.CorpusPath!), cancellationToken: cancellation);
            var retriever = RetrievalOptions.Create(collection, "bm25");
            var assembler = new ContextAssembler(ContextAssembler.DefaultTokenizer);
            var checker = new CitationChecker(new CitationSupport(CommonOptions.Analyzer));
            var extractive = new ExtractiveAnswerer(CommonOptions.Analyzer);
            var prompt = PromptLibrary.Get(PromptLibrary.DefaultId);
            var overhead = new List<double>();
            var extractiveTimes = new List<double>();
            var passages = new List<int>();
            foreach (var query in data.Queries.Values)
            {
                var chunks = await retriever.RetrieveAsync(new Core.Stages.RetrievalQuery(query, 10), cancellation);
                var start = Stopwatch.GetTimestamp();
                var context = assembler.Assemble(chunks, 100_000);
                var rendered = prompt.RenderUser(string.Join("\n\n", context.Passages.Select(p => p.Render())), query);
                var answer = string.Join(' ', context.Passages.Take(5).Select(p => $"Claim drawn from source {p.Label} about {query} [{p.Label}]."));
                var citations = checker.Check(answer, context);
                overhead.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                GC.KeepAlive(rendered);
                GC.KeepAlive(citations);
                passages.Add(context.Passages.Count);

                start = Stopwatch.GetTimestamp();
                extractive.Answer(query, context);
                extractiveTimes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            // The first queries pay for JIT compilation; report the steady state.
            var warmUp = Math.Min(20, overhead.Count / 4);
            overhead = [.. overhead.Skip(warmUp).Order()];
            extractiveTimes = [.. extractiveTimes.Skip(warmUp).Order()];
            var report = new
            {
                dataset = data.Name,
                queries = overhead.Count,
                meanPassages = passages.Average(),
                overheadP50Ms = LatencyBenchmark.Percentile(overhead, 0.5),
                overheadP99Ms = LatencyBenchmark.Percentile(overhead, 0.99),
                extractiveP50Ms = LatencyBenchmark.Percentile(extractiveTimes, 0.5),
                extractiveP99Ms = LatencyBenchmark.Percentile(extractiveTimes, 0.99),
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
                AnsiConsole.MarkupLineInterpolated(
                    $"{data.Name}, {report.queries} queries, {report.meanPassages:0.0} passages per context: overhead around the LLM p50 {report.overheadP50Ms:0.000} ms, p99 {report.overheadP99Ms:0.000} ms; extractive answer p50 {report.extractiveP50Ms:0.000} ms, p99 {report.extractiveP99Ms:0.000} ms");
            }

            return 0;
        });
        return command;
    }

    public static Command Create()
    {
        var dataset = CommonOptions.Dataset();
        var split = CommonOptions.Split();
        var rounds = new Option<int>("--rounds") { Description = "Timed passes over the queries, after warming up to steady state (throughput is the median pass, with min-max)", DefaultValueFactory = _ => 20 };
        var output = CommonOptions.Out("Write the results as JSON");
        var warmUp = new Option<double>("--warm-up") { Description = "Seconds of warm-up per mode at least, before waiting for two passes that agree within 5%", DefaultValueFactory = _ => LatencyBenchmark.DefaultMinWarmUp.TotalSeconds };
        var retrieval = new Command("retrieval", "Benchmark indexing, and query latency and quality per retrieval mode") { dataset, split, rounds, warmUp, output };
        retrieval.SetAction(async (result, cancellation) =>
        {
            var data = BeirDataset.Load(result.GetValue(dataset)!, result.GetValue(split)!);
            using var scratch = ScratchCollection.Create(result, "bench", data.Name);
            using var collection = scratch.Store.OpenOrCreate(scratch.Name);
            SiftStores.BindEmbedder(collection, requested: null);
            var ingest = await new IngestPipeline(LoaderRegistry.Default, new WholeDocumentChunker(), collection, collection.Embedder).RunAsync(new IngestRequest(data.CorpusPath!), cancellationToken: cancellation);
            var vectorBuild = Stopwatch.StartNew();
            collection.FinishIngest("document");
            vectorBuild.Stop();

            using var reopened = scratch.Store.Open(scratch.Name);
            SiftStores.BindEmbedder(reopened, requested: null);
            var lexicalLoad = Stopwatch.StartNew();
            reopened.LexicalIndex(Bm25Parameters.Default);
            lexicalLoad.Stop();
            var vectorLoad = Stopwatch.StartNew();
            reopened.DenseIndex();
            vectorLoad.Stop();

            var queries = data.Queries.Values.ToList();
            var modes = new List<object>();
            var table = new Table().Title($"{data.Name}: {ingest.Added:N0} documents, one query at a time").AddColumns("mode", "nDCG@10", "Recall@100", "p50 ms", "p99 ms", "queries/s (median pass)", "min-max");
            foreach (var (name, mode, fusion, exact) in Modes)
            {
                var retriever = RetrieverFactory.Create(reopened, CommonOptions.Analyzer, new RetrievalSettings(mode, fusion, Exact: exact));
                var latency = LatencyBenchmark.Measure(queries, q => retriever.RankDocumentsAsync(q, 100, cancellationToken: cancellation).GetAwaiter().GetResult(), result.GetValue(rounds), TimeSpan.FromSeconds(result.GetValue(warmUp)));
                var quality = await RetrievalEvaluator.EvaluateAsync(
                    data, (q, n, cancel) => retriever.RankDocumentsAsync(q, n, cancellationToken: cancel), MetricSpec.Defaults, 100, cancellation);
                modes.Add(new { mode = name, ndcgAt10 = quality.Means["ndcg@10"], recallAt100 = quality.Means["recall@100"], latency });
                table.AddRow(name, $"{quality.Means["ndcg@10"]:0.0000}", $"{quality.Means["recall@100"]:0.0000}", $"{latency.P50Ms:0.000}", $"{latency.P99Ms:0.000}", $"{latency.QueriesPerSecond:N0}", $"{latency.MinQueriesPerSecond:N0}-{latency.MaxQueriesPerSecond:N0}");
            }

            // How much of exact search's top 10 the graph search finds (HNSW here, pgvector's on PostgreSQL), at the
            // collection's efSearch: the approximation the dense numbers above carry.
            var annRecall = await GraphRecallAt10Async(reopened, queries, cancellation);

            var report = new
            {
                annRecallAt10 = annRecall,
                efSearch = reopened.Settings.EfSearch,
                dataset = data.Name,
                store = scratch.Store is CollectionStore ? "embedded" : "postgres",
                machine = new { RuntimeInformation.OSDescription, Environment.ProcessorCount, RuntimeInformation.FrameworkDescription },
                date = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd"),
                loadAverage = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null,
                documents = ingest.Added,
                embedder = reopened.Info().Embedder,
                ingestSeconds = ingest.Elapsed.TotalSeconds,
                vectorIndexBuildSeconds = vectorBuild.Elapsed.TotalSeconds,
                lexicalLoadMs = lexicalLoad.Elapsed.TotalMilliseconds,
                vectorLoadMs = vectorLoad.Elapsed.TotalMilliseconds,
                diskBytes = reopened.Info().SizeBytes,
                modes,
            };
            if (result.GetValue(output) is { } file)
            {
                JsonOutput.WriteFile(file, report);
            }

            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(report);
                return 0;
            }

            AnsiConsole.MarkupLineInterpolated(
                $"ingest (load, chunk, analyze, embed, store) {report.ingestSeconds:0.00} s; HNSW build {report.vectorIndexBuildSeconds:0.00} s; index load: BM25 {report.lexicalLoadMs:0} ms, vectors {report.vectorLoadMs:0} ms; disk {report.diskBytes / 1048576.0:0.0} MB");
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"{report.store} store; graph search recall@10 against exact search at efSearch {report.efSearch}: {annRecall:0.0000}");
            return 0;
        });
        return new Command("bench", "Measure speed (see docs/benchmarks.md)") { retrieval, AskOverhead() };
    }

    private static async Task<double> GraphRecallAt10Async(IChunkStore collection, IReadOnlyList<string> queries, CancellationToken cancellationToken)
    {
        var index = collection.DenseIndex();
        var vectors = await collection.Embedder!.EmbedAsync(queries, Embedders.ForQueries, cancellationToken);
        var found = 0.0;
        foreach (var vector in vectors)
        {
            var exact = index.Search(vector, 10, null, null, exact: true).Select(s => s.ChunkId).ToHashSet();
            found += index.Search(vector, 10, null, null, exact: false).Count(s => exact.Contains(s.ChunkId)) / (double)Math.Max(1, exact.Count);
        }

        return found / Math.Max(1, vectors.Length);
    }
}
