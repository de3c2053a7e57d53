using System.Globalization;
using Sift.Evaluation;
using Sift.Evaluation.Beir;
using Sift.Index.Analysis;
using Sift.Index.Lexical;

namespace Sift.Benchmarks;

/// <summary>
/// What computing BM25 statistics over a caller's visible documents costs: SciFact's corpus split round-robin into P
/// access partitions (2, 10, 100 principal sets), a caller seeing half of them, against the unrestricted search of the
/// same index, top 100 per query on one thread. Each figure is the median of 7 runs (20 rounds of the 300 queries
/// each, after a warm-up), restricted and unrestricted alternating so neither is favoured by JIT tiering or caches.
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
        Console.WriteLine("| principal sets | caller sees | p50 ms | p99 ms | q/s (median, min-max of 7) | unrestricted q/s (median, min-max) | time per query vs unrestricted |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var sets in (int[])[2, 10, 100])
        {
            var index = Bm25Index.Build(corpus, Bm25Parameters.Default, [.. Enumerable.Range(0, corpus.Count).Select(i => i % sets)]);
            var visible = Enumerable.Range(0, sets).Select(p => p % 2 == 0).ToArray();
            var texts = dataset.Queries.Values.ToList();
            var (whole, restricted) = (new List<LatencyReport>(), new List<LatencyReport>());
            for (var run = 0; run < 7; run++)
            {
                whole.Add(LatencyBenchmark.Measure(texts, q => index.Search(byText[q], 100), rounds: 20));
                restricted.Add(LatencyBenchmark.Measure(texts, q => index.Search(byText[q], 100, visiblePartitions: visible), rounds: 20));
            }

            var median = restricted.OrderBy(r => r.QueriesPerSecond).ElementAt(3);
            var wholeMedian = whole.OrderBy(r => r.QueriesPerSecond).ElementAt(3);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {sets} | {visible.Count(v => v)} of {sets} | {median.P50Ms:0.000} | {median.P99Ms:0.000} | {median.QueriesPerSecond:0} ({restricted.Min(r => r.QueriesPerSecond):0}-{restricted.Max(r => r.QueriesPerSecond):0}) | {wholeMedian.QueriesPerSecond:0} ({whole.Min(r => r.QueriesPerSecond):0}-{whole.Max(r => r.QueriesPerSecond):0}) | {(wholeMedian.QueriesPerSecond / median.QueriesPerSecond) - 1:+0%;-0%} |"));
        }

        return 0;
    }
}
