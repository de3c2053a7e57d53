using System.Globalization;
using Sift.Composition;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Monitoring;
using Sift.Index.Analysis;
using Sift.Index.Storage;
using Sift.Ingest;
using Sift.Ingest.Chunking;
using Sift.Ingest.Loading;
using Sift.Server.Rollout;

namespace Sift.Benchmarks;

/// <summary>
/// The rates behind the canary and the drift monitor, measured: how often each raises a false alarm on traffic that did
/// not change, and how fast (or how surely) each notices traffic that did.
/// </summary>
internal static class MonitoringCommand
{
    /// <summary>
    /// Simulated canaries (share 0.2, alpha 0.05, 30 requests per arm before any comparison): A/A runs of 2,000 requests
    /// (false rollbacks), and runs whose candidate has a top score 30% lower and abstains on a quarter of questions
    /// (requests until rollback).
    /// </summary>
    public static int Canary(int runs)
    {
        var (falseRollbacks, strictFalseRollbacks) = (0, 0);
        var toRollback = new List<int>();
        var strict = new CanaryTolerances(0, 0, 0, 0, 0, 0, 0);
        for (var run = 0; run < runs; run++)
        {
            if (Simulate(run, 10, 0.05, 2_000) is { State: CanaryState.RolledBack })
            {
                falseRollbacks++;
            }

            if (SimulateUntil(run + 50_000, 10, 0.05, 2_000, strict).Ended is { State: CanaryState.RolledBack })
            {
                strictFalseRollbacks++;
            }

            var (degraded, requests) = SimulateUntil(run + 100_000, 7, 0.25, 10_000);
            if (degraded?.State == CanaryState.RolledBack)
            {
                toRollback.Add(requests);
            }
        }

        toRollback.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            canary simulation, {runs} runs each, {DateTime.UtcNow:yyyy-MM-dd}: share 0.2, alpha 0.05 over 6 signals (Bonferroni), minimum 30 requests per arm
            A/A (both arms alike, 2,000 requests): {falseRollbacks} false rollbacks ({falseRollbacks / (double)runs:P1}; the bound is 5%)
            A/A with every tolerance 0 (the sequential test alone): {strictFalseRollbacks} false rollbacks ({strictFalseRollbacks / (double)runs:P1}; the bound is 5%)
            degraded candidate (top score -30%, abstention 5% -> 25%): rolled back in {toRollback.Count}/{runs} runs; requests until rollback: median {toRollback[toRollback.Count / 2]}, p90 {toRollback[(int)(toRollback.Count * 0.9)]}, max {toRollback[^1]}
            """));
        return 0;
    }

    private static CanaryEvent? Simulate(int seed, double score, double abstention, int requests) => SimulateUntil(seed, score, abstention, requests).Ended;

    private static (CanaryEvent? Ended, int Requests) SimulateUntil(int seed, double candidateScore, double candidateAbstention, int maxRequests, CanaryTolerances? tolerances = null)
    {
        var canary = new Canary("c", new CanaryPlan(Share: 0.2, Alpha: 0.05, MinRequests: 30, Tolerances: tolerances), DateTimeOffset.UnixEpoch.AddDays(seed));
        var random = new Random(seed);
        double Normal(double mean, double sd) => mean + (sd * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        for (var request = 1; request <= maxRequests; request++)
        {
            var candidate = canary.RoutesToCandidate($"caller-{random.Next(5_000)}");
            var (score, abstention) = candidate ? (candidateScore, candidateAbstention) : (10.0, 0.05);
            var outcome = new CanaryOutcome(random.NextDouble() < 0.002, Math.Max(1, Normal(40, 10)), Normal(score, 2), random.NextDouble() < abstention, random.NextDouble() < 0.03);
            if (canary.Record(candidate, outcome) is { } ended)
            {
                return (ended, request);
            }
        }

        return (null, maxRequests);
    }

    /// <summary>
    /// Drift alerts on a SciFact collection: windows of WINDOW queries drawn (seeded, 200 times) from SciFact's own
    /// train and test queries (no drift: false alarms), and SciFact against NFCorpus test queries (a planted shift).
    /// </summary>
    public static async Task<int> Drift(string scifact, string nfcorpus, int window)
    {
        var store = Path.Combine(Path.GetTempPath(), $"sift-drift-{Guid.NewGuid():N}");
        try
        {
            var analyzer = new EnglishTextAnalyzer();
            using var collection = new CollectionStore(store, analyzer).OpenOrCreate("scifact");
            SiftStores.BindEmbedder(collection, "none");
            await new IngestPipeline(LoaderRegistry.Default, new WholeDocumentChunker(), collection).RunAsync(new IngestRequest(Path.Combine(scifact, "corpus.jsonl")));
            collection.FinishIngest(new WholeDocumentChunker().Fingerprint);
            string[] Queries(string folder, string split) => [.. BeirDataset.LoadJudgedQueries(folder, split).Queries.OrderBy(q => q.Key, StringComparer.Ordinal).Select(q => q.Value)];
            var own = Queries(scifact, "train").Concat(Queries(scifact, "test")).ToList();
            var (ownSamples, foreignSamples) = await QueryProfiles.RunAsync(collection, own, Queries(nfcorpus, "test"), analyzer, CancellationToken.None);
            var random = new Random(23);
            var features = new Dictionary<string, int>(StringComparer.Ordinal);
            int Alerts(Func<(List<QuerySample>, List<QuerySample>)> draw, bool count = false) =>
                Enumerable.Range(0, 200).Count(_ =>
                {
                    var (a, b) = draw();
                    var report = DriftReport.Compare(a, b);
                    foreach (var name in count ? report.Drifted : [])
                    {
                        features[name] = features.GetValueOrDefault(name) + 1;
                    }

                    return report.Alert;
                });
            List<QuerySample> Draw(IReadOnlyList<QuerySample> pool) => [.. pool.OrderBy(_ => random.Next()).Take(window)];
            var sameAlerts = Alerts(() =>
            {
                var shuffled = ownSamples.OrderBy(_ => random.Next()).ToList();
                return (shuffled[..window], shuffled[window..(2 * window)]);
            }, count: true);
            var shiftAlerts = Alerts(() => (Draw(ownSamples), Draw(foreignSamples)));
            var mixedAlerts = Alerts(() => (Draw(ownSamples), [.. Draw(ownSamples).Take(window * 3 / 4), .. Draw(foreignSamples).Take(window / 4)]));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                drift monitor on SciFact ({ownSamples.Count} train+test queries, {foreignSamples.Count} NFCorpus test queries), windows of {window}, 200 draws each, {DateTime.UtcNow:yyyy-MM-dd}
                same distribution (two disjoint windows of SciFact queries): {sameAlerts} alerts ({sameAlerts / 200.0:P1} false-alarm rate){(features.Count == 0 ? "" : $"; by feature: {string.Join(", ", features.Select(f => $"{f.Key} {f.Value}"))}")}
                planted shift (SciFact reference, NFCorpus current): {shiftAlerts} alerts ({shiftAlerts / 200.0:P1} detected)
                partial shift (current 25% NFCorpus): {mixedAlerts} alerts ({mixedAlerts / 200.0:P1} detected)
                """));
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(store, recursive: true);
        }
    }
}
