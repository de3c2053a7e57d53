using System.CommandLine;
using Microsoft.Extensions.AI;
using Sift.Cli.Output;
using Sift.Composition;
using Sift.Core.Stages;
using Sift.Evaluation;
using Sift.Evaluation.Answers;
using Sift.Evaluation.Judging;
using Sift.Evaluation.Reports;
using Sift.Evaluation.Statistics;
using Sift.Generation;
using Sift.Generation.Citations;
using Sift.Index.Storage;
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

            using var target = CommonOptions.OpenStore(result).Open(result.GetValue(collection)!);
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
            var pipeline = new SiftAnswering(CommonOptions.Analyzer).Create(retriever, new AnswerOptions(answerer, endpoint, llm.MinScore(result), llm.MinCoverage(result)));
            var topK = result.GetValue(k);

            var questions = new List<QuestionResult>();
            var progress = !result.GetValue(CommonOptions.Json) && judged is not null;
            foreach (var item in items)
            {
                var record = await pipeline.AskAsync(item.Question, topK, cancellationToken: cancellation);
                var metrics = Score(item, record, topK);
                if (embedder is not null && item.ReferenceAnswer is { } reference)
                {
                    var vectors = await embedder.EmbedAsync([CitationChecker.RemoveMarkers(record.Answer), reference], Embedders.ForDocuments, cancellation);
                    metrics["answer_similarity"] = AnswerMetrics.Cosine(vectors[0], vectors[1]);
                }

                var chunks = target.GetChunks([.. record.Retrieved.Select(r => r.ChunkId)]);
                var repeats = new Dictionary<string, List<double>>(StringComparer.Ordinal);
                if (judged is not null)
                {
                    repeats = await judged.ScoreAsync(JudgedInput(item, record, chunks), cancellation);
                    foreach (var (name, values) in repeats)
                    {
                        metrics[name] = values.Average();
                    }

                    if (progress)
                    {
                        AnsiConsole.MarkupLineInterpolated($"[grey]judged {questions.Count + 1}/{items.Count}[/]");
                    }
                }

                questions.Add(new QuestionResult(item, record, metrics, repeats, chunks));
            }

            var names = questions.SelectMany(q => q.Metrics.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
            var summary = names.ToDictionary(
                n => n,
                n => Bootstrap.Mean([.. questions.Where(q => q.Metrics.ContainsKey(n)).Select(q => q.Metrics[n])]));
            var headline = new[] { JudgedMetrics.Faithfulness, "token_f1", "answer_similarity", "context_recall" }.FirstOrDefault(summary.ContainsKey) ?? names.FirstOrDefault() ?? "";
            var info = target.Info();
            var promptVersion = questions.Select(q => q.Record.PromptVersion).FirstOrDefault(v => v is not null);
            var model = questions.FirstOrDefault()?.Record.Model;
            var provenance = new Provenance(
                Provenance.Version, Provenance.HashFile(result.GetValue(dataset)!), info.Name, info.Generation, info.Chunker, info.Analyzer,
                info.Embedder, retriever.Name, retriever.Fusion, retriever.Reranker, promptVersion, model, DateTimeOffset.UtcNow);
            var report = new
            {
                kind = "answers",
                dataset = result.GetValue(dataset),
                provenance,
                collection = target.Name,
                model,
                promptVersion,
                questions = questions.Count,
                headline,
                metrics = summary.ToDictionary(s => s.Key, s => s.Value.Mean),
                intervals = summary,
                notComputed = judged is null ? JudgedMetrics.Names : [],
                slices = Slices.Summarise(questions.Select(q => (q.Item.Tags.Append(Slices.LengthBucket(q.Item.Question)), (IReadOnlyDictionary<string, double>)q.Metrics))),
                judge = judge is null ? null : new { usage = judge.Usage, agreement = Agreement(questions) },
                tokensIn = questions.Sum(q => q.Record.TokensIn),
                tokensOut = questions.Sum(q => q.Record.TokensOut),
                estimatedCost = questions.Sum(q => q.Record.EstimatedCost),
                perQuery = questions.Select(q => new { id = q.Item.Id, tags = q.Item.Tags, answer = q.Record.Answer, flags = q.Record.Flags, metrics = q.Metrics }),
                worstCases = questions
                    .OrderBy(q => q.Metrics.GetValueOrDefault(headline, double.MaxValue)).ThenBy(q => q.Item.Id, StringComparer.Ordinal)
                    .Take(ReportOptions.WorstCases)
                    .Select(q => new
                    {
                        id = q.Item.Id,
                        question = q.Item.Question,
                        metrics = q.Metrics,
                        answer = q.Record.Answer,
                        retrieved = q.Record.Retrieved.Zip(q.Chunks).Take(5).Select(pair => new
                        {
                            documentId = pair.First.DocumentId,
                            score = pair.First.Score,
                            relevant = q.Item.RelevantDocumentIds.Count == 0 ? (bool?)null : q.Item.RelevantDocumentIds.Contains(pair.First.DocumentId),
                            text = EvalCommand.Clip(pair.Second.Text, 400),
                        }),
                    }),
            };
            if (result.GetValue(output) is { } file)
            {
                JsonOutput.WriteFile(file, report);
            }

            reports.Write(result, report);
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(report);
            }
            else
            {
                Render(questions, summary, model, judge);
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

    private sealed record QuestionResult(
        QaItem Item, AnswerRecord Record, Dictionary<string, double> Metrics, Dictionary<string, List<double>> Repeats, IReadOnlyList<Core.Documents.StoredChunk> Chunks);

    private static void Render(List<QuestionResult> questions, Dictionary<string, MeanWithInterval> summary, string? model, LlmJudge? judge)
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
        foreach (var (metric, agreement) in Agreement(questions))
        {
            AnsiConsole.MarkupLineInterpolated($"[grey]{metric}: repeats agree on {agreement.Unanimous:P0} of {agreement.Questions} question(s), mean spread {agreement.MeanSpread:0.000}[/]");
        }
    }

    /// <param name="Unanimous">Share of questions whose repeats all gave the same score.</param>
    /// <param name="MeanSpread">Mean of (highest - lowest) score across repeats.</param>
    private sealed record RepeatAgreement(int Questions, double Unanimous, double MeanSpread);

    /// <summary>How consistently the judge scored each metric across repeats (only with --judge-repeats above 1).</summary>
    private static SortedDictionary<string, RepeatAgreement> Agreement(IEnumerable<QuestionResult> questions)
    {
        var agreement = new SortedDictionary<string, RepeatAgreement>(StringComparer.Ordinal);
        foreach (var group in questions.SelectMany(q => q.Repeats).Where(r => r.Value.Count > 1).GroupBy(r => r.Key, StringComparer.Ordinal))
        {
            var spreads = group.Select(r => r.Value.Max() - r.Value.Min()).ToList();
            agreement[group.Key] = new RepeatAgreement(spreads.Count, spreads.Count(s => s < 1e-9) / (double)spreads.Count, spreads.Average());
        }

        return agreement;
    }

    private static JudgedAnswer JudgedInput(QaItem item, AnswerRecord record, IReadOnlyList<Core.Documents.StoredChunk> chunks)
    {
        var texts = chunks.ToDictionary(c => c.Id, c => c.Text);
        var byLabel = record.Citations.GroupBy(c => c.Label).ToDictionary(g => g.Key, g => g.First().ChunkId); // a label is one passage, however many quotes
        var sentences = CitationChecker.SentenceLabels(record.Answer)
            .Select(s => new CitedSentence(s.Sentence, [.. s.Labels.Where(byLabel.ContainsKey).Select(l => texts.GetValueOrDefault(byLabel[l]) ?? "").Distinct()]))
            .ToList();
        return new JudgedAnswer(item.Question, record.Answer, record.Flags.Abstained, [.. chunks.Select(c => c.Text)], item.ReferenceAnswer, sentences);
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
        if (item.Answerable is { } answerable)
        {
            metrics["abstention_accuracy"] = record.Flags.Abstained != answerable ? 1 : 0;
        }

        if (item.ReferenceAnswer is { } reference)
        {
            metrics["exact_match"] = AnswerMetrics.ExactMatch(CitationChecker.RemoveMarkers(record.Answer), reference);
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
