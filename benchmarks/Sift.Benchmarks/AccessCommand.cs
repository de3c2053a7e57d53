using System.Globalization;
using Sift.Evaluation;
using Sift.Evaluation.Beir;
using Sift.Index.Analysis;
using Sift.Index.Lexical;

namespace Sift.Benchmarks;

/// <summary>
/// What computing BM25 statistics over a caller's visible documents costs: SciFact's corpus split round-robin into P
/// access partitions (2, 10, 100 principal sets), a caller seeing half of them, against the unrestricted search of the
/// same index, top 100 per query on one thread, 20 timed rounds after a warm-up.
/// </summary>
internal static class AccessCommand
{
    public static int Run(string datasetFolder)
    {
        var dataset = BeirDataset.Load(datasetFolder);
        using var analyzer = new EnglishTextAnalyzer();
        var corpus = Corpus.Read(dataset.CorpusPath!).Select(r => (IReadOnlyList<string>)[.. analyzer.Analyze($"{r.Title} {r.Text}").Select(t => t.Term)]).ToList();
        var queries = dataset.Queries.Values.Select(q => (IReadOnlyList<string>)[.. analyzer.Analyze(q).Select(t => t.Term)]).ToList();
        var byText = dataset.Queries.Values.Select((q, i) => (q, i)).ToDictionary(p => p.q, p => queries[p.i]);

        Console.WriteLine($"{dataset.Name}: {corpus.Count} documents, {queries.Count} queries; {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores");
        Console.WriteLine("| principal sets | caller sees | p50 ms | p99 ms | q/s | q/s unrestricted | cost |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var sets in (int[])[2, 10, 100])
        {
            var index = Bm25Index.Build(corpus, Bm25Parameters.Default, [.. Enumerable.Range(0, corpus.Count).Select(i => i % sets)]);
            var visible = Enumerable.Range(0, sets).Select(p => p % 2 == 0).ToArray();
            var whole = LatencyBenchmark.Measure(dataset.Queries.Values.ToList(), q => index.Search(byText[q], 100), rounds: 20);
            var restricted = LatencyBenchmark.Measure(dataset.Queries.Values.ToList(), q => index.Search(byText[q], 100, visiblePartitions: visible), rounds: 20);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {sets} | {visible.Count(v => v)} of {sets} | {restricted.P50Ms:0.000} | {restricted.P99Ms:0.000} | {restricted.QueriesPerSecond:0} | {whole.QueriesPerSecond:0} | {(whole.QueriesPerSecond / restricted.QueriesPerSecond) - 1:+0%;-0%} |"));
        }

        return 0;
    }
}
