using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Sift.Core.Stages;
using Sift.Evaluation.Judging;
using Sift.Generation.Citations;

namespace Sift.Evaluation.Answers;

/// <summary>A sentence of an answer and the texts of the passages it cites (none when uncited).</summary>
public sealed record CitedSentence(string Sentence, IReadOnlyList<string> CitedTexts);

/// <summary>What the judge sees of one answered question. <paramref name="Contexts"/> are the retrieved texts, best first.</summary>
public sealed record JudgedAnswer(
    string Question, string Answer, bool Abstained, IReadOnlyList<string> Contexts, string? Reference, IReadOnlyList<CitedSentence> Sentences);

/// <summary>
/// The answer metrics that need a judge, with the RAGAS definitions:
/// faithfulness = statements of the answer the context supports / statements;
/// answer relevancy = mean cosine between the question and questions generated from the answer, 0 when noncommittal;
/// judged context precision = Σ precision@i · useful(i) / useful passages (usefulness judged against the reference);
/// judged context recall = reference sentences the context supports / reference sentences.
/// Citation support follows ALCE: precision = (sentence, cited passage) pairs where the passage supports the
/// sentence / pairs; recall = sentences supported by at least one of their citations / sentences.
/// Each metric is computed once per judge repeat; a repeat whose verdict was invalid is left out, never guessed.
/// Abstained answers are scored by the abstention metrics, not here.
/// </summary>
public sealed class JudgedMetrics(LlmJudge judge, IEmbeddingGenerator<string, Embedding<float>> embedder)
{
    public const string Faithfulness = "faithfulness";
    public const string AnswerRelevancy = "answer_relevancy";
    public const string ContextPrecision = "judged_context_precision";
    public const string ContextRecall = "judged_context_recall";
    public const string CitationPrecision = "judged_citation_precision";
    public const string CitationRecall = "judged_citation_recall";

    public static IReadOnlyList<string> Names { get; } = [Faithfulness, AnswerRelevancy, ContextPrecision, ContextRecall, CitationPrecision, CitationRecall];

    /// <summary>Per metric, one value per repeat that produced a valid verdict.</summary>
    public async Task<Dictionary<string, List<double>>> ScoreAsync(JudgedAnswer input, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        void Add(string metric, double? value)
        {
            if (value is { } v)
            {
                (values.TryGetValue(metric, out var list) ? list : values[metric] = []).Add(v);
            }
        }

        for (var repeat = 0; repeat < judge.Repeats; repeat++)
        {
            if (!input.Abstained)
            {
                Add(Faithfulness, await FaithfulnessAsync(input, repeat, cancellationToken).ConfigureAwait(false));
                Add(AnswerRelevancy, await RelevancyAsync(input, repeat, cancellationToken).ConfigureAwait(false));
                if (input.Sentences.Any(s => s.CitedTexts.Count > 0))
                {
                    var (precision, recall) = await CitationSupportAsync(input.Sentences, repeat, cancellationToken).ConfigureAwait(false);
                    Add(CitationPrecision, precision);
                    Add(CitationRecall, recall);
                }
            }

            if (input.Reference is { } reference && input.Contexts.Count > 0)
            {
                Add(ContextPrecision, await ContextPrecisionAsync(input, reference, repeat, cancellationToken).ConfigureAwait(false));
                Add(ContextRecall, await ContextRecallAsync(input, reference, repeat, cancellationToken).ConfigureAwait(false));
            }
        }

        return values;
    }

    private async Task<double?> FaithfulnessAsync(JudgedAnswer input, int repeat, CancellationToken cancellationToken)
    {
        var claims = await judge.JudgeAsync(
            Rubrics.Claims, Slots(("question", input.Question), ("answer", CitationChecker.RemoveMarkers(input.Answer))), repeat, cancellationToken).ConfigureAwait(false);
        if (claims is not { } verdict)
        {
            return null;
        }

        var statements = verdict.GetProperty("statements").EnumerateArray().Select(s => s.GetString()!).ToList();
        // RAGAS leaves faithfulness undefined for an answer that states nothing; so do we.
        return statements.Count == 0 ? null : Share(await SupportAsync(Numbered(input.Contexts), statements, repeat, cancellationToken).ConfigureAwait(false));
    }

    private async Task<double?> RelevancyAsync(JudgedAnswer input, int repeat, CancellationToken cancellationToken)
    {
        var verdict = await judge.JudgeAsync(
            Rubrics.AnswerQuestions, Slots(("answer", CitationChecker.RemoveMarkers(input.Answer))), repeat, cancellationToken).ConfigureAwait(false);
        if (verdict is not { } v)
        {
            return null;
        }

        if (v.GetProperty("noncommittal").GetBoolean())
        {
            return 0;
        }

        var generated = v.GetProperty("questions").EnumerateArray().Select(q => q.GetString()!).ToList();
        var vectors = await embedder.EmbedAsync([input.Question, .. generated], Embedders.ForQueries, cancellationToken).ConfigureAwait(false);
        return vectors.Skip(1).Average(g => AnswerMetrics.Cosine(vectors[0], g));
    }

    private async Task<double?> ContextPrecisionAsync(JudgedAnswer input, string reference, int repeat, CancellationToken cancellationToken)
    {
        var verdict = await judge.JudgeAsync(
            Rubrics.ContextUsefulness,
            Slots(("question", input.Question), ("reference", reference), ("passages", Numbered(input.Contexts))),
            repeat,
            cancellationToken).ConfigureAwait(false);
        var useful = Flags(Rubrics.ContextUsefulness, verdict, input.Contexts.Count, "passage", "useful");
        return useful is null ? null : AnswerMetrics.RankWeightedPrecision(useful);
    }

    private async Task<double?> ContextRecallAsync(JudgedAnswer input, string reference, int repeat, CancellationToken cancellationToken)
    {
        var statements = CitationChecker.Sentences(reference).ToList();
        return statements.Count == 0 ? null : Share(await SupportAsync(Numbered(input.Contexts), statements, repeat, cancellationToken).ConfigureAwait(false));
    }

    private async Task<(double? Precision, double? Recall)> CitationSupportAsync(IReadOnlyList<CitedSentence> sentences, int repeat, CancellationToken cancellationToken)
    {
        // One judge request per cited passage, over every sentence citing it.
        var supported = new bool[sentences.Count];
        int pairs = 0, supportedPairs = 0;
        foreach (var passage in sentences.SelectMany(s => s.CitedTexts).Distinct(StringComparer.Ordinal))
        {
            var citing = Enumerable.Range(0, sentences.Count).Where(i => sentences[i].CitedTexts.Contains(passage)).ToList();
            var flags = await SupportAsync(passage, [.. citing.Select(i => CitationChecker.RemoveMarkers(sentences[i].Sentence))], repeat, cancellationToken).ConfigureAwait(false);
            if (flags is null)
            {
                return (null, null);
            }

            for (var j = 0; j < citing.Count; j++)
            {
                pairs++;
                supportedPairs += flags[j] ? 1 : 0;
                supported[citing[j]] |= flags[j];
            }
        }

        return ((double)supportedPairs / pairs, (double)supported.Count(s => s) / sentences.Count);
    }

    private async Task<bool[]?> SupportAsync(string context, IReadOnlyList<string> statements, int repeat, CancellationToken cancellationToken)
    {
        var verdict = await judge.JudgeAsync(
            Rubrics.Support, Slots(("context", context), ("statements", Numbered(statements))), repeat, cancellationToken).ConfigureAwait(false);
        return Flags(Rubrics.Support, verdict, statements.Count, "statement", "supported");
    }

    /// <summary>The verdict's flags by item number, or null (recorded as invalid) unless it judged each item exactly once.</summary>
    private bool[]? Flags(JudgeRubric rubric, JsonElement? verdict, int count, string indexName, string flagName)
    {
        if (verdict is not { } v)
        {
            return null;
        }

        var flags = new bool?[count];
        foreach (var item in v.GetProperty("verdicts").EnumerateArray())
        {
            var index = item.GetProperty(indexName).GetInt32() - 1;
            if (index < 0 || index >= count || flags[index] is not null)
            {
                judge.Reject(rubric, $"{indexName} {index + 1} is out of range or judged twice ({count} given)");
                return null;
            }

            flags[index] = item.GetProperty(flagName).GetBoolean();
        }

        if (flags.Any(f => f is null))
        {
            judge.Reject(rubric, $"judged {flags.Count(f => f is not null)} of {count} {indexName}s");
            return null;
        }

        return [.. flags.Select(f => f!.Value)];
    }

    private static double? Share(bool[]? flags) => flags is null ? null : (double)flags.Count(f => f) / flags.Length;

    private static string Numbered(IReadOnlyList<string> items) =>
        string.Join("\n\n", items.Select((text, i) => $"[{(i + 1).ToString(CultureInfo.InvariantCulture)}] {text}"));

    private static Dictionary<string, string> Slots(params (string Name, string Value)[] slots) =>
        slots.ToDictionary(s => s.Name, s => s.Value, StringComparer.Ordinal);
}
