using System.CommandLine;
using Sift.Cli.Output;
using Sift.Composition;
using Sift.Evaluation;
using Sift.Evaluation.Answers;
using Sift.Evaluation.Judging;
using Sift.Evaluation.Statistics;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift eval answers --dataset qa.jsonl -c NAME</c>: asks every question of a QA test set and scores the answers:
/// deterministic metrics always (SQuAD EM/F1, embedding similarity, context precision/recall from ids, citation and
/// abstention checks), judged metrics (RAGAS faithfulness, answer relevancy, judged context precision/recall, citation
/// support) when a judge is configured. Without one they are reported as not computed, never estimated.
/// </summary>
internal static class EvalAnswersCommand
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "QA JSONL: question, reference_answer, relevant_doc_ids, reference_contexts, tags, answerable", Required = true };
        var collection = CommonOptions.Collection();
        var k = new Option<int>("-k", "--top") { Description = "Chunks retrieved per question", DefaultValueFactory = _ => 10 };
        var output = CommonOptions.Out("Write the report (overall and per question) as JSON");
        var baseline = new Option<string?>("--baseline") { Description = "An earlier report: fail on significant drops larger than --max-drop" };
        var maxDrop = new Option<string[]>("--max-drop") { Description = "Allowed drop, e.g. token_f1=0.02 or faithfulness=0.02 (repeat per metric)" };
        var similarity = new Option<string>("--similarity-embedder") { Description = "Embedder for answer similarity and answer relevancy: glove (built in) | onnx:DIR | openai:MODEL | none", DefaultValueFactory = _ => EmbedderSpecs.Default };
        var retrieval = new RetrievalOptions();
        var llm = new LlmOptions();
        var judgeOptions = new JudgeOptions();
        var reports = new ReportOptions();
        var command = new Command("answers", "Evaluate answers on a QA test set") { dataset, collection, k, output, baseline, maxDrop, similarity };
        retrieval.AddTo(command);
        llm.AddTo(command);
        judgeOptions.AddTo(command);
        reports.AddTo(command);
        command.SetAction(async (result, cancellation) =>
        {
            var items = QaDataset.Load(result.GetValue(dataset)!);
            var limits = RegressionGate.ParseMaxDrops(result.GetValue(maxDrop) ?? []);
            var baselineRun = result.GetValue(baseline) is { } baselinePath ? RunResults.Read(baselinePath) : null;
            if (limits.Count > 0 && baselineRun is null)
            {
                throw new Core.SiftException("--max-drop needs --baseline FILE");
            }

            using var reading = CommonOptions.OpenForReading(result, result.GetValue(collection)!);
            var target = reading.Target;
            if (retrieval.NeedsVectors(result, target))
            {
                SiftStores.BindEmbedder(target, requested: null);
            }

            var embedder = EmbedderSpecs.Create(result.GetValue(similarity)!);
            var (answerer, endpoint) = llm.Build(result);
            var (judge, cache) = judgeOptions.Build(result);
            using var verdicts = cache;
            var judged = judge is not null && embedder is not null ? new JudgedMetrics(judge, embedder) : null;
            if (judge is not null && embedder is null)
            {
                throw new Core.SiftException("the judge needs an embedder for answer relevancy: drop --similarity-embedder none");
            }

            var retriever = retrieval.Build(result, target);
            var pipeline = new SiftAnswering(CommonOptions.Analyzer).Create(retriever, new AnswerOptions(answerer, endpoint, llm.MinScore(result), llm.MinCoverage(result), Guardrails: target.Settings.Guardrails));
            var progress = !result.GetValue(CommonOptions.Json) && judged is not null
                ? new Core.InlineProgress<int>(n => AnsiConsole.MarkupLineInterpolated($"[grey]judged {n}/{items.Count}[/]"))
                : null;
            var questions = await AnswerEvaluation.RunAsync(items, pipeline, target, result.GetValue(k), embedder, judged, progress, cancellation);
            var report = AnswerReport.Build(result.GetValue(dataset)!, questions, target.Info(), (retriever.Name, retriever.Fusion, retriever.Reranker), judge);
            if (result.GetValue(output) is { } file)
            {
                JsonOutput.WriteFile(file, report);
            }

            reports.Write(result, report);
            VersionsCommand.AttachReport(reading.Collection, reading.Version?.Id, "answers", report);
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(report);
            }
            else
            {
                Render(questions, report.Intervals, report.Model, judge);
            }

            if (baselineRun is null)
            {
                return 0;
            }

            var current = new RunResults("this run", questions.ToDictionary(q => q.Item.Id, q => (IReadOnlyDictionary<string, double>)q.Metrics, StringComparer.Ordinal));
            var failures = RegressionGate.Check(baselineRun, current, limits);
            foreach (var failure in failures)
            {
                await Console.Error.WriteLineAsync($"regression: {failure}");
            }

            return failures.Count == 0 ? 0 : EvalCommand.RegressionExitCode;
        });
        return command;
    }

    private static void Render(IReadOnlyList<AnswerQuestion> questions, IReadOnlyDictionary<string, MeanWithInterval> summary, string? model, LlmJudge? judge)
    {
        var table = new Table().Title($"{questions.Count} questions, answers by {model}").AddColumns("metric", "mean", "95% CI", "questions");
        foreach (var (name, interval) in summary)
        {
            table.AddRow(name, $"{interval.Mean:0.0000}", $"{interval.Low:0.0000}..{interval.High:0.0000}", questions.Count(q => q.Metrics.ContainsKey(name)).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
        if (judge is null)
        {
            AnsiConsole.MarkupLineInterpolated($"[grey]not computed (need an LLM judge, --judge): {string.Join(", ", JudgedMetrics.Names)}[/]");
            return;
        }

        var usage = judge.Usage;
        AnsiConsole.MarkupLineInterpolated(
            $"[grey]judge {usage.Model}: {usage.Calls} call(s), {usage.Cached} cached, {usage.Invalid} invalid verdict(s), {usage.TokensIn} in / {usage.TokensOut} out tokens, ~${usage.EstimatedCost:0.0000}[/]");
        foreach (var (metric, agreement) in AnswerEvaluation.Agreement(questions))
        {
            AnsiConsole.MarkupLineInterpolated($"[grey]{metric}: repeats agree on {agreement.Unanimous:P0} of {agreement.Questions} question(s), mean spread {agreement.MeanSpread:0.000}[/]");
        }
    }
}
