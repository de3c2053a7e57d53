using System.CommandLine;
using Sift.Cli.Output;
using Sift.Composition;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Evaluation;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Metrics;
using Sift.Evaluation.Reports;
using Sift.Evaluation.Runs;
using Sift.Evaluation.Statistics;
using Sift.Generation;
using Sift.Index.Lexical;
using Sift.Index.Storage;
using Sift.Ingest;
using Sift.Ingest.Chunking;
using Sift.Retrieval;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary><c>sift eval retrieval --dataset DIR</c>: index a BEIR dataset, run its queries, score with trec_eval metrics.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var dataset = CommonOptions.Dataset();
        var split = CommonOptions.Split();
        var cutoffs = new Option<int[]>("-k") { Description = "Cutoffs: report every metric at each (default: ndcg@10 mrr@10 recall@100 hit@10 map@100 p@10)", AllowMultipleArgumentsPerToken = true };
        var metrics = new Option<string[]>("--metrics") { Description = "Exact metrics, e.g. ndcg@10 recall@1000", AllowMultipleArgumentsPerToken = true };
        var depth = new Option<int>("--depth") { Description = "Documents retrieved per query (at least the largest cutoff)", DefaultValueFactory = _ => 100 };
        var collection = CommonOptions.Collection(required: false, "Index the corpus into this collection and keep it (default: a temporary collection)");
        var runOut = new Option<string?>("--run-out") { Description = "Write the ranking as a TREC run file (trec_eval input)" };
        var output = CommonOptions.Out("Write the full report (overall and per query) as JSON");
        var perQuery = new Option<bool>("--per-query") { Description = "Print every query's metrics, not just the 10 worst" };
        var k1 = new Option<float>("--bm25-k1") { Description = "BM25 term-frequency saturation", DefaultValueFactory = _ => Bm25Parameters.Default.K1 };
        var b = new Option<float>("--bm25-b") { Description = "BM25 length normalisation (0..1)", DefaultValueFactory = _ => Bm25Parameters.Default.B };
        var embedder = EmbedderSpecs.Option();
        var retrievalOptions = new RetrievalOptions();
        var baseline = new Option<string?>("--baseline") { Description = "A report written earlier by --out: fail when a metric drops significantly by more than --max-drop" };
        var maxDrop = new Option<string[]>("--max-drop") { Description = "Allowed drop against the baseline, e.g. ndcg@10=0.01 (repeat per metric)" };
        var redact = new Option<bool>("--redact") { Description = "Leave query texts and retrieved ids out of the report (for baselines committed beside licensed datasets)" };
        var reports = new ReportOptions();

        var retrieval = new Command("retrieval", "Evaluate retrieval on a BEIR dataset")
        {
            dataset, split, cutoffs, metrics, depth, collection, runOut, output, perQuery, k1, b, embedder, baseline, maxDrop, redact,
        };
        retrievalOptions.AddTo(retrieval);
        reports.AddTo(retrieval);
        retrieval.SetAction(async (result, cancellation) =>
        {
            var json = result.GetValue(CommonOptions.Json);
            var specs = ChooseMetrics(result.GetValue(cutoffs), result.GetValue(metrics));
            var bm25 = Bm25Parameters.Create(result.GetValue(k1), result.GetValue(b));
            var limits = RegressionGate.ParseMaxDrops(result.GetValue(maxDrop) ?? []);
            var baselineRun = result.GetValue(baseline) is { } baselinePath ? RunResults.Read(baselinePath) : null;
            if (limits.Count > 0 && baselineRun is null)
            {
                throw new Core.SiftException("--max-drop needs --baseline FILE");
            }
            var data = BeirDataset.Load(result.GetValue(dataset)!, result.GetValue(split)!);
            var retrieveDepth = Math.Max(result.GetValue(depth), specs.Max(m => m.K));

            var named = result.GetValue(collection);
            using var scratch = named is null ? ScratchCollection.Create(result, "eval", data.Name) : null;
            var store = scratch?.Store ?? CommonOptions.OpenStore(result);
            using var target = store.OpenOrCreate(named ?? scratch!.Name);
            SiftStores.BindEmbedder(target, result.GetValue(embedder));
            var ingest = await IngestCommand.RunAsync(target, new WholeDocumentChunker(), new IngestRequest(data.CorpusPath!), showProgress: !json, cancellation);
            // A named collection changed like any other: the change is a version (the one evaluated here).
            var evaluated = named is null ? null : VersionsCommand.Record(result, target, "ingest", data.CorpusPath!, to: null);

            var retriever = retrievalOptions.Build(result, target, bm25);
            if (retriever.Name.EndsWith("+rerank", StringComparison.Ordinal) && LearnedRankers.TrainedOn(target.Settings.Ranker, data.Name, data.Split))
            {
                await Console.Error.WriteLineAsync($"note: '{target.Name}' reranks with a ranker trained on {data.Name} {data.Split}: scores on the split it learned from are optimistic (evaluate on test, or add --no-ranker)");
            }

            var (evaluation, report) = await RetrievalReports.EvaluateAsync(
                data, target, retriever, specs, retrieveDepth, null, ingest.Elapsed, result.GetValue(redact), cancellation);

            if (result.GetValue(runOut) is { } runFile)
            {
                using var writer = new StreamWriter(runFile);
                TrecRun.Write(writer, evaluation.Queries, $"sift-{retriever.Name}");
            }

            if (result.GetValue(output) is { } outFile)
            {
                JsonOutput.WriteFile(outFile, report);
            }

            reports.Write(result, report);
            if (evaluated is not null)
            {
                VersionsCommand.AttachReport(target, evaluated.Version.Id, "retrieval", report);
            }

            if (json)
            {
                JsonOutput.Write(report);
            }
            else
            {
                Render(evaluation, ingest, result.GetValue(perQuery));
            }

            if (baselineRun is null)
            {
                return 0;
            }

            var current = RunResults.FromEvaluation("this run", evaluation);
            foreach (var comparison in RegressionGate.Compare(baselineRun, current, limits.Count > 0 ? limits.Keys : null))
            {
                await Console.Error.WriteLineAsync($"vs baseline: {comparison}");
            }

            var failures = RegressionGate.Check(baselineRun, current, limits);
            foreach (var failure in failures)
            {
                await Console.Error.WriteLineAsync($"regression: {failure}");
            }

            return failures.Count == 0 ? 0 : RegressionExitCode;
        });

        return new Command("eval", "Measure quality")
        {
            retrieval, EvalAnswersCommand.Create(), EvalGuardrailsCommand.Injection(), EvalGuardrailsCommand.Pii(), EvalDatasetCommands.Generate(), EvalDatasetCommands.Mine(), Abstention(), Compare(), ReportOptions.Command(),
        };
    }

    /// <summary>
    /// <c>sift eval abstention --dataset DIR</c>: calibrates <c>sift ask --min-score</c>. A query counts as answerable
    /// when a relevant document is in the top 10; the threshold on the top retrieval score that best separates
    /// answerable from unanswerable queries (balanced accuracy) is the one to use.
    /// </summary>
    private static Command Abstention()
    {
        var dataset = CommonOptions.Dataset();
        var split = CommonOptions.Split();
        var retrievalOptions = new RetrievalOptions();
        var command = new Command("abstention", "Calibrate the ask --min-score abstention threshold on a judged dataset") { dataset, split };
        retrievalOptions.AddTo(command);
        command.SetAction(async (result, cancellation) =>
        {
            var data = BeirDataset.Load(result.GetValue(dataset)!, result.GetValue(split)!);
            using var scratch = ScratchCollection.Create(result, "calibrate", data.Name);
            using var target = scratch.Store.OpenOrCreate(scratch.Name);
            SiftStores.BindEmbedder(target, retrievalOptions.NeedsVectors(result, target) ? null : "none");
            await IngestCommand.RunAsync(target, new WholeDocumentChunker(), new IngestRequest(data.CorpusPath!), showProgress: !result.GetValue(CommonOptions.Json), cancellation);
            var retriever = retrievalOptions.Build(result, target);
            var samples = new List<(double Score, bool Answerable)>();
            var coverages = new List<(double Score, bool Answerable)>();
            foreach (var (id, query) in data.Queries)
            {
                var top = await retriever.RetrieveAsync(new RetrievalQuery(query, 10, MeasureCoverage: true), cancellation);
                var relevant = data.Qrels[id].Where(j => j.Value > 0).Select(j => j.Key).ToHashSet(StringComparer.Ordinal);
                var answerable = top.Any(t => relevant.Contains(t.Chunk.DocumentId));
                samples.Add((top.Count == 0 ? 0 : top[0].Score, answerable));
                coverages.Add((top.QueryCoverage ?? 0, answerable));
            }

            var (threshold, accuracy) = AbstentionCalibration.Calibrate(samples);
            var (coverageThreshold, coverageAccuracy) = AbstentionCalibration.Calibrate(coverages);
            var defaultAccuracy = AbstentionCalibration.BalancedAccuracy(coverages, AskPipeline.DefaultMinCoverage);
            var report = new
            {
                dataset = data.Name,
                retriever = retriever.Name,
                queries = samples.Count,
                answerable = samples.Count(s => s.Answerable),
                minScore = threshold,
                balancedAccuracy = accuracy,
                abstainedShare = samples.Count(s => s.Score < threshold) / (double)samples.Count,
                coverageRule = new
                {
                    defaultMinCoverage = AskPipeline.DefaultMinCoverage,
                    balancedAccuracy = defaultAccuracy,
                    abstainedShare = coverages.Count(s => s.Score < AskPipeline.DefaultMinCoverage) / (double)coverages.Count,
                    bestMinCoverage = coverageThreshold,
                    bestBalancedAccuracy = coverageAccuracy,
                },
            };
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(report);
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated(
                    $"{report.dataset} ({report.retriever}): use [bold]sift ask --min-score {report.minScore:0.###}[/]; balanced accuracy {report.balancedAccuracy:0.000}, abstains on {report.abstainedShare:P0} of {report.queries} queries ({report.answerable} answerable)");
                AnsiConsole.MarkupLineInterpolated(
                    $"or [bold]--min-coverage {coverageThreshold:0.###}[/] (balanced accuracy {coverageAccuracy:0.000}); --min-coverage {AskPipeline.DefaultMinCoverage} gives {defaultAccuracy:0.000} and abstains on {report.coverageRule.abstainedShare:P0}");
            }

            return 0;
        });
        return command;
    }

    /// <summary>Exit code when a run is significantly worse than its baseline (distinct from 1, bad input).</summary>
    public const int RegressionExitCode = 3;

    /// <summary><c>sift eval compare A.json B.json</c>: paired per-query comparison of two reports, B against A.</summary>
    private static Command Compare()
    {
        var left = new Argument<string>("a") { Description = "The reference report (--out of an earlier run)" };
        var right = new Argument<string>("b") { Description = "The report to judge" };
        var metricNames = new Option<string[]>("--metrics") { Description = "Metrics to compare (default: all in both)", AllowMultipleArgumentsPerToken = true };
        var alpha = new Option<double>("--alpha") { Description = "Significance level", DefaultValueFactory = _ => 0.05 };
        var command = new Command("compare", $"Compare two evaluation reports query by query (exit {RegressionExitCode} when B is significantly worse)") { left, right, metricNames, alpha };
        command.SetAction(result =>
        {
            var a = RunResults.Read(result.GetValue(left)!);
            var b = RunResults.Read(result.GetValue(right)!);
            var names = result.GetValue(metricNames) is { Length: > 0 } chosen ? chosen.Select(m => MetricSpec.Parse(m).ToString()) : null;
            var comparisons = RegressionGate.Compare(a, b, names);
            var level = result.GetValue(alpha);
            var worse = comparisons.Where(c => c.Difference < 0 && c.IsSignificant(level)).ToList();
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(new { a = a.Name, b = b.Name, alpha = level, comparisons, significantlyWorse = worse.Select(c => c.Metric) });
            }
            else
            {
                foreach (var comparison in comparisons)
                {
                    var verdict = !comparison.IsSignificant(level) ? "[grey]noise[/]" : comparison.Difference > 0 ? "[green]better[/]" : "[red]worse[/]";
                    AnsiConsole.MarkupLine($"{Markup.Escape(comparison.ToString())}  {verdict}");
                }
            }

            return worse.Count == 0 ? 0 : RegressionExitCode;
        });
        return command;
    }

    public static IReadOnlyList<MetricSpec> ChooseMetrics(int[]? cutoffs, string[]? names) =>
        names is { Length: > 0 } ? [.. names.Select(MetricSpec.Parse)]
        : cutoffs is { Length: > 0 } ? MetricSpec.AtCutoffs(cutoffs.Select(k => k >= 1 ? k : throw new Core.SiftException($"cutoff -k must be at least 1 (got {k})")))
        : MetricSpec.Defaults;

    public static void Render(RetrievalEvaluation evaluation, IngestSummary? ingest, bool allQueries)
    {
        var table = new Table().Title($"{evaluation.Dataset} ({evaluation.Split}, {evaluation.Queries.Count} queries)").AddColumns("metric", "mean", "95% CI");
        foreach (var metric in evaluation.MetricSpecs)
        {
            var interval = Bootstrap.Mean([.. evaluation.Queries.Select(q => q.Metrics[metric.ToString()])]);
            table.AddRow(metric.ToString(), interval.Mean.ToString("0.0000"), $"{interval.Low:0.0000}..{interval.High:0.0000}");
        }

        AnsiConsole.Write(table);
        if (ingest is not null)
        {
            AnsiConsole.MarkupLineInterpolated(
                $"indexed in {ingest.Elapsed.TotalSeconds:0.00}s ({ingest.Added + ingest.Updated} written, {ingest.Unchanged} unchanged); {evaluation.QueriesPerSecond:0} queries/s");
        }

        var headline = evaluation.MetricSpecs[0].ToString();
        var shown = allQueries
            ? evaluation.Queries
            : [.. evaluation.Queries.OrderBy(q => q.Metrics[headline]).ThenBy(q => q.QueryId, StringComparer.Ordinal).Take(10)];
        // A terminal fits about six metric columns; the JSON report has them all.
        var columns = evaluation.MetricSpecs.Take(6).ToList();
        var perQuery = new Table().Title(allQueries ? "per query" : $"10 worst queries by {headline}").AddColumn("query");
        foreach (var metric in columns)
        {
            perQuery.AddColumn(metric.ToString());
        }

        foreach (var query in shown)
        {
            var text = query.Query.Length > 60 ? query.Query[..57] + "..." : query.Query;
            perQuery.AddRow([Markup.Escape($"{query.QueryId}: {text}"), .. columns.Select(m => query.Metrics[m.ToString()].ToString("0.000"))]);
        }

        AnsiConsole.Write(perQuery);
    }
}
