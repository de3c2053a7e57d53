using Sift.Core;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Evaluation;
using Sift.Evaluation.Answers;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Metrics;
using Sift.Evaluation.Statistics;
using Sift.Retrieval;

namespace Sift.Composition;

/// <summary>What changed between two versions: documents by id and content hash, and the recorded settings.</summary>
public sealed record VersionDiff(
    long From,
    long To,
    IReadOnlyList<string> Added,
    IReadOnlyList<string> Removed,
    IReadOnlyList<string> Changed,
    IReadOnlyList<SettingChange> Settings);

public sealed record SettingChange(string Name, string Before, string After);

/// <summary>A promote gate's verdict: the paired comparison per metric, and the metrics that dropped too far.</summary>
public sealed record GateReport(
    string Dataset,
    string Split,
    int Queries,
    long Baseline,
    long Candidate,
    IReadOnlyDictionary<string, double> MaxDrops,
    IReadOnlyList<PairedComparison> Comparisons,
    IReadOnlyList<GateFinding> Failures)
{
    public bool Passed => Failures.Count == 0;
}

/// <summary>A metric that dropped significantly beyond its limit, with the queries that dropped most.</summary>
public sealed record GateFinding(string Metric, double Drop, double MaxDrop, double Low, double High, double PValue, IReadOnlyList<QueryDrop> WorstQueries, string Summary);

public sealed record QueryDrop(string QueryId, double Drop);

public static class VersionOperations
{
    public static VersionDiff Diff(IVersionCatalog catalog, long from, long to)
    {
        var before = catalog.Find(from) ?? throw new SiftException($"no version {from}");
        var after = catalog.Find(to) ?? throw new SiftException($"no version {to}");
        Dictionary<string, string> Held(long version)
        {
            using var view = catalog.Open(version);
            return view.Documents().ToDictionary(d => d.Id, d => d.ContentHash, StringComparer.Ordinal);
        }

        var (a, b) = (Held(from), Held(to));
        var settings = new List<SettingChange>();
        void Compare(string name, object? x, object? y)
        {
            var (left, right) = (x?.ToString() ?? "(default)", y?.ToString() ?? "(default)");
            if (left != right)
            {
                settings.Add(new SettingChange(name, left, right));
            }
        }

        Compare("chunker", before.Chunker, after.Chunker);
        Compare("embedder", before.Embedder, after.Embedder);
        Compare("analyzer", before.Analyzer, after.Analyzer);
        Compare("mode", before.Settings.Mode, after.Settings.Mode);
        Compare("fusion", before.Settings.Fusion, after.Settings.Fusion);
        Compare("dense weight", before.Settings.DenseWeight, after.Settings.DenseWeight);
        Compare("fusion depth", before.Settings.FusionDepth, after.Settings.FusionDepth);
        Compare("expansion", before.Settings.Expansion, after.Settings.Expansion);
        Compare("injection policy", before.Settings.Injection, after.Settings.Injection);
        Compare("PII policy", before.Settings.Pii, after.Settings.Pii);
        Compare("M", before.Settings.M, after.Settings.M);
        Compare("efConstruction", before.Settings.EfConstruction, after.Settings.EfConstruction);
        Compare("efSearch", before.Settings.EfSearch, after.Settings.EfSearch);
        Compare("quantize", before.Settings.Quantize, after.Settings.Quantize);
        Compare("prompts", string.Join(",", before.Prompts), string.Join(",", after.Prompts));
        Compare("changes go to", before.Settings.IngestAlias, after.Settings.IngestAlias);
        Compare("learned ranker", LearnedRankers.Describe(before.Settings.Ranker), LearnedRankers.Describe(after.Settings.Ranker));
        return new VersionDiff(
            from,
            to,
            [.. b.Keys.Where(id => !a.ContainsKey(id)).Order(StringComparer.Ordinal)],
            [.. a.Keys.Where(id => !b.ContainsKey(id)).Order(StringComparer.Ordinal)],
            [.. b.Where(e => a.TryGetValue(e.Key, out var hash) && hash != e.Value).Select(e => e.Key).Order(StringComparer.Ordinal)],
            settings);
    }

    /// <summary>
    /// Where a rollback of <paramref name="alias"/> goes: the version it pointed at before its current one, where
    /// rollbacks undo moves (so three rollbacks after three promotes walk back three versions, never to and fro).
    /// </summary>
    public static long RollbackTarget(IVersionCatalog catalog, string alias)
    {
        var stack = new List<long>();
        foreach (var move in catalog.AliasHistory(alias).Reverse())
        {
            if (move.Reason.StartsWith(RollbackReason, StringComparison.Ordinal) && stack.Count > 1)
            {
                stack.RemoveAt(stack.Count - 1);
            }
            else
            {
                stack.Add(move.Version);
            }
        }

        // Versions gc deleted are passed over: the rollback goes to the newest earlier one still kept.
        for (var i = stack.Count - 2; i >= 0; i--)
        {
            if (catalog.Find(stack[i]) is not null)
            {
                return stack[i];
            }
        }

        var earlier = stack.SkipLast(1).Distinct().ToList();
        throw new SiftException(earlier.Count > 0
            ? $"alias '{alias}' has no earlier version left to go back to (gc deleted versions {string.Join(", ", earlier)}): name one with --to"
            : $"alias '{alias}' has no earlier version to go back to{(stack.Count > 0 ? $" (it points at version {stack[^1]} and has pointed at no other before it)" : "")}");
    }

    public const string RollbackReason = "rollback";

    /// <summary>
    /// Evaluates both versions on the same judged queries with each version's own retrieval settings, and fails a
    /// metric that dropped by more than allowed and significantly (paired bootstrap, as <c>sift eval</c>'s gate).
    /// </summary>
    public static async Task<GateReport> GateAsync(
        IChunkStore baseline, long baselineId, IChunkStore candidate, long candidateId, BeirDataset dataset,
        IReadOnlyDictionary<string, double> maxDrops, ITextAnalyzer analyzer, CancellationToken cancellationToken)
    {
        var specs = maxDrops.Keys.Where(m => m.Contains('@', StringComparison.Ordinal)).Select(MetricSpec.Parse).ToList();
        if (specs.Count == 0)
        {
            throw new InvalidOptionException("maximum drop", "name at least one retrieval metric for the gate, e.g. ndcg@10=0.01");
        }

        var depth = Math.Max(100, specs.Max(s => s.K));
        foreach (var (version, id) in new[] { (baseline, baselineId), (candidate, candidateId) })
        {
            // A dataset whose judged documents the version does not hold measures nothing: every query scores 0 on
            // both sides, and the gate would wave anything through.
            var held = version.ListDocuments();
            var judged = dataset.Qrels.Values.SelectMany(q => q.Where(j => j.Value > 0).Select(j => j.Key)).ToHashSet(StringComparer.Ordinal);
            var found = judged.Count(held.ContainsKey);
            if (found * 2 < judged.Count)
            {
                throw new SiftException(
                    $"version {id} holds {found} of the {judged.Count} documents {dataset.Name} ({dataset.Split}) judges relevant: the gate would measure nothing; gate with the dataset the collection was built from");
            }
        }

        async Task<RunResults> Run(IChunkStore version, string name)
        {
            // Each version as it would answer: its settings and its learned ranker.
            var settings = LearnedRankers.Apply(RetrievalSettings.For(version), version, analyzer, null);
            if (settings.NeedsVectors)
            {
                SiftStores.BindEmbedder(version);
            }

            var retriever = RetrieverFactory.Create(version, analyzer, settings);
            var evaluation = await RetrievalEvaluator.EvaluateAsync(
                dataset, (query, n, cancel) => retriever.RankDocumentsAsync(query, n, cancellationToken: cancel), specs, depth, cancellationToken);
            return RunResults.FromEvaluation(name, evaluation);
        }

        var before = await Run(baseline, $"version {baselineId}");
        var after = await Run(candidate, $"version {candidateId}");
        return Verdict(dataset.Name, dataset.Split, baselineId, candidateId, before, after, maxDrops);
    }

    /// <summary>
    /// The answer gate: asks both versions every question of a QA set with the same answerer (and judge, when one is
    /// given), and fails an answer metric (faithfulness, token_f1, ...) that dropped beyond its limit, significantly.
    /// </summary>
    public static async Task<GateReport> AnswerGateAsync(
        IChunkStore baseline, long baselineId, IChunkStore candidate, long candidateId, string dataset, IReadOnlyList<QaItem> items,
        IReadOnlyDictionary<string, double> maxDrops, ITextAnalyzer analyzer, AnswerOptions answering, JudgedMetrics? judged, CancellationToken cancellationToken)
    {
        async Task<RunResults> Run(IChunkStore version, string name)
        {
            var settings = LearnedRankers.Apply(RetrievalSettings.For(version), version, analyzer, null);
            if (settings.NeedsVectors)
            {
                SiftStores.BindEmbedder(version);
            }

            var pipeline = new SiftAnswering(analyzer).Create(RetrieverFactory.Create(version, analyzer, settings), answering);
            var questions = await AnswerEvaluation.RunAsync(items, pipeline, version, SiftAnswering.DefaultTopK, null, judged, null, cancellationToken).ConfigureAwait(false);
            return new RunResults(name, questions.ToDictionary(q => q.Item.Id, q => (IReadOnlyDictionary<string, double>)q.Metrics, StringComparer.Ordinal));
        }

        var before = await Run(baseline, $"version {baselineId}");
        var after = await Run(candidate, $"version {candidateId}");
        return Verdict(dataset, "answers", baselineId, candidateId, before, after, maxDrops);
    }

    private static GateReport Verdict(string dataset, string split, long baselineId, long candidateId, RunResults before, RunResults after, IReadOnlyDictionary<string, double> maxDrops)
    {
        var comparisons = RegressionGate.Compare(before, after, maxDrops.Keys);
        var failures = RegressionGate.Check(before, after, maxDrops).Select(f => new GateFinding(
            f.Comparison.Metric, -f.Comparison.Difference, f.MaxDrop, f.Comparison.Low, f.Comparison.High, f.Comparison.PValue,
            [.. f.WorstQueries.Select(q => new QueryDrop(q.QueryId, q.Drop))], f.ToString())).ToList();
        return new GateReport(dataset, split, before.PerQuery.Count, baselineId, candidateId, maxDrops, comparisons, failures);
    }
}
