using System.Diagnostics;
using Sift.Core;
using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Generation.Citations;
using Sift.Generation.Context;
using Sift.Generation.Extractive;

namespace Sift.Generation;

/// <summary>Why an answer deserves a second look.</summary>
public sealed record AnswerFlags(bool Abstained, bool Degraded, bool Extractive, int UncitedSentences, int InvalidCitations);

/// <summary>A chunk retrieval returned for the question, with its score.</summary>
public sealed record RetrievedSource(long ChunkId, string DocumentId, double Score);

/// <summary>Everything that produced an answer, so it can be checked, cached, logged and evaluated.</summary>
public sealed record AnswerRecord(
    string Question,
    string Answer,
    IReadOnlyList<Citation> Citations,
    IReadOnlyList<RetrievedSource> Retrieved,
    IReadOnlyDictionary<string, double> TimingsMs,
    string? PromptVersion,
    string Model,
    int TokensIn,
    int TokensOut,
    decimal EstimatedCost,
    AnswerFlags Flags);

/// <summary>
/// Ask: retrieve, assemble a context within the budget, answer, check citations. Today the answerer is the offline
/// extractive one; LLM answerers plug in at the generate step.
/// </summary>
public sealed class AskPipeline(IRetriever retriever, ContextAssembler assembler, ExtractiveAnswerer answerer, CitationChecker checker)
{
    public const int MaxQuestionLength = 2000;
    public const string NotFound = "Not found in the sources.";

    public async Task<AnswerRecord> AskAsync(string question, int topK = 10, int budgetTokens = 3000, MetadataFilter? filter = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(question))
        {
            throw new SiftException("the question is empty");
        }

        if (question.Length > MaxQuestionLength)
        {
            throw new SiftException($"the question is {question.Length} characters long; the limit is {MaxQuestionLength}");
        }

        var timings = new Dictionary<string, double>();
        var stopwatch = Stopwatch.StartNew();
        var retrieved = await retriever.RetrieveAsync(new RetrievalQuery(question, topK, filter), cancellationToken).ConfigureAwait(false);
        timings["retrieve"] = Lap(stopwatch);

        var context = assembler.Assemble(retrieved, budgetTokens);
        timings["assemble"] = Lap(stopwatch);

        var answer = answerer.Answer(question, context);
        timings["generate"] = Lap(stopwatch);

        var report = answer is null ? null : checker.Check(answer, context);
        timings["cite_check"] = Lap(stopwatch);

        var text = report?.RepairedAnswer ?? NotFound;
        return new AnswerRecord(
            question,
            text,
            report?.Citations ?? [],
            [.. retrieved.Select(r => new RetrievedSource(r.Chunk.Id, r.Chunk.DocumentId, r.Score))],
            timings,
            PromptVersion: null,
            ExtractiveAnswerer.ModelId,
            TokensIn: context.Tokens + assembler.CountTokens(question),
            TokensOut: assembler.CountTokens(text),
            EstimatedCost: 0m,
            new AnswerFlags(
                Abstained: answer is null,
                Degraded: false,
                Extractive: true,
                UncitedSentences: report?.UncitedSentences.Count ?? 0,
                InvalidCitations: report?.InvalidMarkers.Count ?? 0));
    }

    private static double Lap(Stopwatch stopwatch)
    {
        var elapsed = stopwatch.Elapsed.TotalMilliseconds;
        stopwatch.Restart();
        return elapsed;
    }
}
