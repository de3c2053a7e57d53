using System.CommandLine;
using Sift.Cli.Output;
using Sift.Evaluation;
using Sift.Evaluation.Answers;
using Sift.Evaluation.Statistics;
using Sift.Generation;
using Sift.Generation.Citations;
using Sift.Generation.Context;
using Sift.Generation.Extractive;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift eval answers --dataset qa.jsonl -c NAME</c>: asks every question of a QA test set and scores the answers
/// with the metrics that need no judge. Judge-based metrics (faithfulness, answer relevancy, judged context
/// precision/recall) are reported as not computed, never estimated.
/// </summary>
internal static class EvalAnswersCommand
{
    private static readonly string[] JudgeMetrics = ["faithfulness", "answer_relevancy", "judged_context_precision", "judged_context_recall"];

    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "QA JSONL: question, reference_answer, relevant_doc_ids, reference_contexts, tags", Required = true };
        var collection = CommonOptions.Collection();
        var k = new Option<int>("-k", "--top") { Description = "Chunks retrieved per question", DefaultValueFactory = _ => 10 };
        var output = CommonOptions.Out("Write the report (overall and per question) as JSON");
        var baseline = new Option<string?>("--baseline") { Description = "An earlier report: fail on significant drops larger than --max-drop" };
        var maxDrop = new Option<string[]>("--max-drop") { Description = "Allowed drop, e.g. token_f1=0.02 (repeat per metric)" };
        var retrieval = new RetrievalOptions();
        var llm = new LlmOptions();
        var command = new Command("answers", "Evaluate answers on a QA test set") { dataset, collection, k, output, baseline, maxDrop };
        retrieval.AddTo(command);
        llm.AddTo(command);
        command.SetAction(async (result, cancellation) =>
        {
            var items = QaDataset.Load(result.GetValue(dataset)!);
            var limits = RegressionGate.ParseMaxDrops(result.GetValue(maxDrop) ?? []);
            using var target = CommonOptions.OpenStore(result).Open(result.GetValue(collection)!);
            if (retrieval.NeedsVectors(result, target))
            {
                EmbedderSpecs.Attach(target, requested: null);
            }

            var (answerer, endpoint) = llm.Build(result);
            var retriever = retrieval.Build(result, target);
            var pipeline = new AskPipeline(
                retriever, new ContextAssembler(ContextAssembler.DefaultTokenizer), new ExtractiveAnswerer(CommonOptions.Analyzer),
                new CitationChecker(), answerer, endpoint, minScore: llm.MinScore(result));
            var topK = result.GetValue(k);

            var perQuestion = new List<(QaItem Item, AnswerRecord Record, Dictionary<string, double> Metrics)>();
            foreach (var item in items)
            {
                var record = await pipeline.AskAsync(item.Question, topK, cancellationToken: cancellation);
                perQuestion.Add((item, record, Score(item, record, topK)));
            }

            var names = perQuestion.SelectMany(q => q.Metrics.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
            var summary = names.ToDictionary(
                n => n,
                n => Bootstrap.Mean([.. perQuestion.Where(q => q.Metrics.ContainsKey(n)).Select(q => q.Metrics[n])]));
            var info = target.Info();
            var first = perQuestion.FirstOrDefault().Record;
            var provenance = new Provenance(
                Provenance.Version, Provenance.HashFile(result.GetValue(dataset)!), info.Name, info.Generation, info.Chunker, info.Analyzer,
                info.Embedder, retriever.Name, perQuestion.Select(q => q.Record.PromptVersion).FirstOrDefault(v => v is not null),
                first?.Model, DateTimeOffset.UtcNow);
            // Means per tag, so a regression confined to one kind of question is visible.
            var slices = perQuestion.SelectMany(q => q.Item.Tags.Select(tag => (Tag: tag, q.Metrics)))
                .GroupBy(t => t.Tag, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(
                    g => g.Key,
                    g => new { questions = g.Count(), metrics = names.Where(n => g.Any(t => t.Metrics.ContainsKey(n))).ToDictionary(n => n, n => g.Where(t => t.Metrics.ContainsKey(n)).Average(t => t.Metrics[n])) });
            var report = new
            {
                dataset = result.GetValue(dataset),
                provenance,
                slices,
                collection = target.Name,
                model = perQuestion.FirstOrDefault().Record?.Model,
                promptVersion = perQuestion.Select(q => q.Record.PromptVersion).FirstOrDefault(v => v is not null),
                questions = perQuestion.Count,
                metrics = summary.ToDictionary(s => s.Key, s => s.Value.Mean),
                intervals = summary,
                notComputed = JudgeMetrics,
                tokensIn = perQuestion.Sum(q => q.Record.TokensIn),
                tokensOut = perQuestion.Sum(q => q.Record.TokensOut),
                estimatedCost = perQuestion.Sum(q => q.Record.EstimatedCost),
                perQuery = perQuestion.Select(q => new { id = q.Item.Id, tags = q.Item.Tags, answer = q.Record.Answer, flags = q.Record.Flags, metrics = q.Metrics }),
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
                var table = new Table().Title($"{perQuestion.Count} questions, answers by {report.model}").AddColumns("metric", "mean", "95% CI", "questions");
                foreach (var (name, interval) in summary)
                {
                    table.AddRow(name, $"{interval.Mean:0.0000}", $"{interval.Low:0.0000}..{interval.High:0.0000}", perQuestion.Count(q => q.Metrics.ContainsKey(name)).ToString());
                }

                AnsiConsole.Write(table);
                AnsiConsole.MarkupLineInterpolated($"[grey]not computed (need an LLM judge): {string.Join(", ", JudgeMetrics)}[/]");
            }

            if (result.GetValue(baseline) is not { } baselinePath)
            {
                return 0;
            }

            var current = new RunResults("this run", perQuestion.ToDictionary(q => q.Item.Id, q => (IReadOnlyDictionary<string, double>)q.Metrics, StringComparer.Ordinal));
            var failures = RegressionGate.Check(RunResults.Read(baselinePath), current, limits);
            foreach (var failure in failures)
            {
                await Console.Error.WriteLineAsync($"regression: {failure}");
            }

            return failures.Count == 0 ? 0 : EvalCommand.RegressionExitCode;
        });
        return command;
    }

    /// <summary>The deterministic metrics this question's references allow.</summary>
    private static Dictionary<string, double> Score(QaItem item, AnswerRecord record, int k)
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["abstained"] = record.Flags.Abstained ? 1 : 0,
            ["citations_valid"] = record.Flags.InvalidCitations == 0 ? 1 : 0,
            ["uncited_sentences"] = record.Flags.UncitedSentences,
        };
        if (item.ReferenceAnswer is { } reference)
        {
            metrics["exact_match"] = AnswerMetrics.ExactMatch(record.Answer, reference);
            metrics["token_f1"] = AnswerMetrics.TokenF1(CitationChecker.RemoveMarkers(record.Answer), reference);
        }

        if (item.RelevantDocumentIds.Count > 0)
        {
            var ranked = record.Retrieved.Select(r => r.DocumentId).Distinct().ToList();
            metrics[$"context_precision@{k}"] = AnswerMetrics.ContextPrecision(ranked, item.RelevantDocumentIds.ToHashSet(), k);
            metrics["context_recall"] = AnswerMetrics.ContextRecall(ranked, item.RelevantDocumentIds.ToHashSet());
            metrics["citation_recall"] = AnswerMetrics.ContextRecall([.. record.Citations.Select(c => c.DocumentId).Distinct()], item.RelevantDocumentIds.ToHashSet());
        }

        return metrics;
    }
}
