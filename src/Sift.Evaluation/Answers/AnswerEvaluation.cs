using Microsoft.Extensions.AI;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Evaluation.Judging;
using Sift.Evaluation.Reports;
using Sift.Evaluation.Statistics;
using Sift.Generation;
using Sift.Generation.Citations;

namespace Sift.Evaluation.Answers;

/// <summary>One question of an answer evaluation: the item, the answer record, its metrics, the judge's repeats, the passages it was given.</summary>
public sealed record AnswerQuestion(
    QaItem Item, AnswerRecord Record, Dictionary<string, double> Metrics, Dictionary<string, List<double>> Repeats, IReadOnlyList<StoredChunk> Chunks);

/// <param name="Unanimous">Share of questions whose repeats all gave the same score.</param>
/// <param name="MeanSpread">Mean of (highest - lowest) score across repeats.</param>
public sealed record RepeatAgreement(int Questions, double Unanimous, double MeanSpread);

/// <summary>
/// The answer-evaluation harness, for any front end (the CLI's <c>sift eval answers</c>; the server and the console
/// can run it too): asks every question of a QA set through an ask pipeline, scores each answer (SQuAD exact match and
/// token F1, context precision and recall, citation recall and validity, abstention, answer similarity with an
/// embedder, the judged RAGAS-style metrics with a judge) and builds the typed report.
/// </summary>
public static class AnswerEvaluation
{
    /// <param name="similarity">Embeds answers and references for answer similarity; null leaves it out.</param>
    /// <param name="judged">The judge's metrics; null leaves them out (listed as not computed).</param>
    /// <param name="judgedProgress">Told how many questions have been judged (judging is the slow part).</param>
    public static async Task<IReadOnlyList<AnswerQuestion>> RunAsync(
        IReadOnlyList<QaItem> items, AskPipeline pipeline, IChunkStore collection, int topK,
        IEmbeddingGenerator<string, Embedding<float>>? similarity, JudgedMetrics? judged, IProgress<int>? judgedProgress = null,
        CancellationToken cancellationToken = default)
    {
        var questions = new List<AnswerQuestion>(items.Count);
        foreach (var item in items)
        {
            var record = await pipeline.AskAsync(item.Question, topK, cancellationToken: cancellationToken).ConfigureAwait(false);
            var metrics = Score(item, record, topK);
            if (similarity is not null && item.ReferenceAnswer is { } reference)
            {
                var vectors = await similarity.EmbedAsync([CitationChecker.RemoveMarkers(record.Answer), reference], Embedders.ForDocuments, cancellationToken).ConfigureAwait(false);
                metrics["answer_similarity"] = AnswerMetrics.Cosine(vectors[0], vectors[1]);
            }

            var chunks = collection.GetChunks([.. record.Retrieved.Select(r => r.ChunkId)]);
            var repeats = new Dictionary<string, List<double>>(StringComparer.Ordinal);
            if (judged is not null)
            {
                repeats = await judged.ScoreAsync(JudgedInput(item, record, chunks), cancellationToken).ConfigureAwait(false);
                foreach (var (name, values) in repeats)
                {
                    metrics[name] = values.Average();
                }

                judgedProgress?.Report(questions.Count + 1);
            }

            questions.Add(new AnswerQuestion(item, record, metrics, repeats, chunks));
        }

        return questions;
    }

    /// <summary>How consistently the judge scored each metric across repeats (only with more than one repeat).</summary>
    public static SortedDictionary<string, RepeatAgreement> Agreement(IEnumerable<AnswerQuestion> questions)
    {
        var agreement = new SortedDictionary<string, RepeatAgreement>(StringComparer.Ordinal);
        foreach (var group in questions.SelectMany(q => q.Repeats).Where(r => r.Value.Count > 1).GroupBy(r => r.Key, StringComparer.Ordinal))
        {
            var spreads = group.Select(r => r.Value.Max() - r.Value.Min()).ToList();
            agreement[group.Key] = new RepeatAgreement(spreads.Count, spreads.Count(s => s < 1e-9) / (double)spreads.Count, spreads.Average());
        }

        return agreement;
    }

    /// <summary>The deterministic metrics this question's references allow.</summary>
    public static Dictionary<string, double> Score(QaItem item, AnswerRecord record, int k)
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

    private static JudgedAnswer JudgedInput(QaItem item, AnswerRecord record, IReadOnlyList<StoredChunk> chunks)
    {
        var texts = chunks.ToDictionary(c => c.Id, c => c.Text);
        var byLabel = record.Citations.GroupBy(c => c.Label).ToDictionary(g => g.Key, g => g.First().ChunkId); // a label is one passage, however many quotes
        var sentences = CitationChecker.SentenceLabels(record.Answer)
            .Select(s => new CitedSentence(s.Sentence, [.. s.Labels.Where(byLabel.ContainsKey).Select(l => texts.GetValueOrDefault(byLabel[l]) ?? "").Distinct()]))
            .ToList();
        return new JudgedAnswer(item.Question, record.Answer, record.Flags.Abstained, [.. chunks.Select(c => c.Text)], item.ReferenceAnswer, sentences);
    }
}

/// <summary>One question as the report lists it.</summary>
public sealed record AnswerReportQuery(string Id, IReadOnlyList<string> Tags, string Answer, AnswerFlags Flags, IReadOnlyDictionary<string, double> Metrics);

/// <summary>A retrieved passage of a worst case.</summary>
/// <param name="Relevant">Whether the QA item names its document as relevant; null when the item names none.</param>
public sealed record AnswerReportPassage(string DocumentId, double Score, bool? Relevant, string Text);

/// <summary>One of the worst-scoring questions, with the passages it was given.</summary>
public sealed record AnswerReportCase(string Id, string Question, IReadOnlyDictionary<string, double> Metrics, string Answer, IReadOnlyList<AnswerReportPassage> Retrieved);

/// <summary>The judge's calls, tokens and cost, and how its repeats agreed.</summary>
public sealed record AnswerReportJudge(JudgeUsage Usage, SortedDictionary<string, RepeatAgreement> Agreement);

/// <summary>
/// An answer evaluation as it is saved (<c>--out</c>), gated against (<c>--baseline</c>) and rendered (Markdown, HTML):
/// the typed form of what <c>sift eval answers</c> writes, so servers and dashboards can write and read it too.
/// </summary>
public sealed record AnswerReport(
    string Kind,
    string Dataset,
    Provenance Provenance,
    string Collection,
    string? Model,
    string? PromptVersion,
    int Questions,
    string Headline,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyDictionary<string, MeanWithInterval> Intervals,
    IReadOnlyList<string> NotComputed,
    SortedDictionary<string, SliceSummary> Slices,
    AnswerReportJudge? Judge,
    long TokensIn,
    long TokensOut,
    decimal EstimatedCost,
    IReadOnlyList<AnswerReportQuery> PerQuery,
    IReadOnlyList<AnswerReportCase> WorstCases)
{
    /// <summary>How many of the worst-scoring questions a report carries.</summary>
    public const int WorstCaseCount = 20;

    /// <summary>The per-metric means with 95% bootstrap intervals over the questions that have each metric.</summary>
    public static Dictionary<string, MeanWithInterval> Summarise(IReadOnlyList<AnswerQuestion> questions) =>
        questions.SelectMany(q => q.Metrics.Keys).Distinct().Order(StringComparer.Ordinal).ToDictionary(
            n => n,
            n => Bootstrap.Mean([.. questions.Where(q => q.Metrics.ContainsKey(n)).Select(q => q.Metrics[n])]));

    /// <param name="dataset">The QA set's path (hashed into the provenance).</param>
    /// <param name="retriever">The retriever's name, fusion and reranker, for the provenance.</param>
    public static AnswerReport Build(
        string dataset, IReadOnlyList<AnswerQuestion> questions, CollectionInfo collection, (string Name, string Fusion, string Reranker) retriever,
        LlmJudge? judge)
    {
        var summary = Summarise(questions);
        var headline = new[] { JudgedMetrics.Faithfulness, "token_f1", "answer_similarity", "context_recall" }.FirstOrDefault(summary.ContainsKey) ?? summary.Keys.FirstOrDefault() ?? "";
        var promptVersion = questions.Select(q => q.Record.PromptVersion).FirstOrDefault(v => v is not null);
        var model = questions.FirstOrDefault()?.Record.Model;
        var provenance = new Provenance(
            Provenance.Version, Provenance.HashFile(dataset), collection.Name, collection.Generation, collection.Chunker, collection.Analyzer,
            collection.Embedder, retriever.Name, retriever.Fusion, retriever.Reranker, promptVersion, model, DateTimeOffset.UtcNow);
        return new AnswerReport(
            "answers",
            dataset,
            provenance,
            collection.Name,
            model,
            promptVersion,
            questions.Count,
            headline,
            summary.ToDictionary(s => s.Key, s => s.Value.Mean),
            summary,
            judge is null ? JudgedMetrics.Names : [],
            Reports.Slices.Summarise(questions.Select(q => (q.Item.Tags.Append(Reports.Slices.LengthBucket(q.Item.Question)), (IReadOnlyDictionary<string, double>)q.Metrics))),
            judge is null ? null : new AnswerReportJudge(judge.Usage, AnswerEvaluation.Agreement(questions)),
            questions.Sum(q => q.Record.TokensIn),
            questions.Sum(q => q.Record.TokensOut),
            questions.Sum(q => q.Record.EstimatedCost),
            [.. questions.Select(q => new AnswerReportQuery(q.Item.Id, q.Item.Tags, q.Record.Answer, q.Record.Flags, q.Metrics))],
            [.. questions
                .OrderBy(q => q.Metrics.GetValueOrDefault(headline, double.MaxValue)).ThenBy(q => q.Item.Id, StringComparer.Ordinal)
                .Take(WorstCaseCount)
                .Select(q => new AnswerReportCase(
                    q.Item.Id,
                    q.Item.Question,
                    q.Metrics,
                    q.Record.Answer,
                    [.. q.Record.Retrieved.Zip(q.Chunks).Take(5).Select(pair => new AnswerReportPassage(
                        pair.First.DocumentId,
                        pair.First.Score,
                        q.Item.RelevantDocumentIds.Count == 0 ? null : q.Item.RelevantDocumentIds.Contains(pair.First.DocumentId),
                        ReportText.Clip(pair.Second.Text, 400)))]))]);
    }
}
