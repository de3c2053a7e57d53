using System.Diagnostics;
using Sift.Core;
using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Core.Telemetry;
using Sift.Generation.Citations;
using Sift.Generation.Context;
using Sift.Generation.Extractive;
using Sift.Generation.Guardrails;
using Sift.Generation.Llm;

namespace Sift.Generation;

/// <summary>Why an answer deserves a second look; <paramref name="Note"/> says what happened when degraded.</summary>
/// <param name="UnsupportedCitations">Cited sentences whose passages do not hold enough of their words (when the support check runs).</param>
/// <param name="Withheld">Retrieved passages kept out of the model's context because a guardrail flagged them (never dropped silently).</param>
/// <param name="Flagged">Retrieved passages a guardrail flagged that policy let through to the model (injection policy "flag").</param>
/// <param name="QuestionFlag">The prompt-injection finding on the question itself, when a detector flagged it.</param>
/// <param name="Pii">Personal data found in the question and the answer, by type (redacted when the policy says so).</param>
/// <param name="Refused">Why the answer was refused by a guardrail (a flagged question, the model repeating its instructions).</param>
/// <param name="Stopped">Why a multi-step answer stopped searching before the model was done (a step, token, time or cost limit).</param>
public sealed record AnswerFlags(
    bool Abstained, bool Degraded, bool Extractive, int UncitedSentences, int InvalidCitations, string? Note = null, int UnsupportedCitations = 0,
    IReadOnlyList<WithheldPassage>? Withheld = null,
    IReadOnlyList<WithheldPassage>? Flagged = null,
    GuardrailFinding? QuestionFlag = null,
    IReadOnlyList<PiiFound>? Pii = null,
    string? Refused = null,
    string? Stopped = null);

/// <summary>One item of a streamed answer: a token as the model produced it, or (last) the finished record.</summary>
public sealed record AskUpdate(string? Token, AnswerRecord? Record);

/// <summary>A chunk retrieval returned for the question, with its score.</summary>
public sealed record RetrievedSource(long ChunkId, string DocumentId, double Score);

/// <summary>
/// Everything that produced an answer, so it can be checked, cached, logged and evaluated. Never changed once built
/// (changes make copies with <c>with</c>), so caches may hold the instance itself instead of a serialized copy.
/// </summary>
[System.ComponentModel.ImmutableObject(true)]
public record AnswerRecord(
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
    AnswerFlags Flags)
{
    /// <summary>The steps of a multi-step answer (what the model searched for, in order); null for a one-step answer.</summary>
    public IReadOnlyList<Steps.AnswerStep>? Steps { get; init; }
}

/// <summary>
/// Ask: retrieve, withhold passages a guardrail flags as instructions to the model (indirect prompt injection), assemble
/// a context within the budget, answer (with the LLM when one is configured and healthy,
/// else extractively, flagged degraded when the LLM failed), check and repair citations, check the output (the model
/// repeating its instructions, personal data), and record all of it.
/// </summary>
public sealed class AskPipeline(
    IRetriever retriever,
    ContextAssembler assembler,
    ExtractiveAnswerer extractive,
    CitationChecker checker,
    LlmAnswerer? llm = null,
    LlmEndpoint? endpoint = null,
    CircuitBreaker? breaker = null,
    double minScore = 0,
    double minCoverage = 0,
    AnswerGuardrails? guardrails = null)
{
    public const int MaxQuestionLength = 2000;

    /// <summary>Passages retrieved for an answer when the caller does not say.</summary>
    public const int DefaultTopK = 10;

    /// <summary>Context budget in tokens when the caller does not say.</summary>
    public const int DefaultBudgetTokens = 3000;

    /// <summary>
    /// The default query-coverage threshold (the CLI's and server's; the library takes what it is given): chosen on
    /// training data only, where the best balanced accuracy was at 0.578 (SciFact train) and 0.552 (NFCorpus train);
    /// test-split figures in docs/evaluation.md. A question whose rare words the best passage lacks is usually about
    /// something else ("the capital of France" over a software manual).
    /// </summary>
    public const double DefaultMinCoverage = 0.55;
    public const string NotFound = "Not found in the sources.";
    public const string Refusal = "The question was refused by a guardrail.";
    public const string LeakRefusal = "The answer was withheld by a guardrail: it repeated the instructions given to the model.";

    private readonly CircuitBreaker _breaker = breaker ?? new CircuitBreaker();

    public async Task<AnswerRecord> AskAsync(
        string question, int topK = DefaultTopK, int budgetTokens = DefaultBudgetTokens, MetadataFilter? filter = null, Action<string>? onToken = null,
        CancellationToken cancellationToken = default)
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
        var questionFlag = guardrails?.ScreenQuestion(question);
        var (modelQuestion, pii) = guardrails?.ScreenPii("question", question) ?? (question, []);
        if (questionFlag is not null && guardrails!.Policy.Injection == InjectionAction.Block)
        {
            onToken?.Invoke(Refusal);
            return Refused(modelQuestion, Refusal, $"the question reads as prompt injection ({questionFlag.Reason})", timings, stopwatch, questionFlag, pii);
        }

        // Personal data is replaced before the model sees it, so the answer cannot be streamed until it is checked too.
        var streamed = false;
        Action<string>? streaming = onToken is null || guardrails?.Policy.Pii == PiiAction.Redact ? null : token =>
        {
            streamed = true;
            onToken(token);
        };
        var retrieved = await retriever.RetrieveAsync(new RetrievalQuery(question, topK, filter, MeasureCoverage: minCoverage > 0 && minScore <= 0), cancellationToken).ConfigureAwait(false);
        timings["retrieve"] = Lap(stopwatch);

        IReadOnlyList<WithheldPassage> flagged = [];
        IReadOnlyList<PiiFound> passagePii = [];
        if (guardrails is { ScreensInjection: true } or { Policy.Pii: PiiAction.Redact })
        {
            using (SiftTelemetry.Start("screen"))
            {
                (retrieved, flagged) = guardrails.ScreenPassages(retrieved);
                (retrieved, passagePii) = guardrails.RedactPassages(retrieved);
            }

            timings["screen"] = Lap(stopwatch);
        }

        AssembledContext context;
        using (SiftTelemetry.Start("assemble"))
        {
            context = assembler.Assemble(retrieved, budgetTokens);
        }

        timings["assemble"] = Lap(stopwatch);

        // Weak evidence: answer "not found" instead of letting a model guess from passages that barely match: a best
        // score below the threshold when one is set, else a best passage holding too little of the question (its rare
        // words weigh most).
        var lowScore = minScore > 0 && retrieved.Count > 0 && retrieved.Max(r => r.Score) < minScore;
        var lowCoverage = minCoverage > 0 && minScore <= 0 && retrieved.QueryCoverage < minCoverage;
        var weak = retrieved.Count == 0 || lowScore || lowCoverage;
        (string? Text, string Model, string? PromptVersion, LlmAnswer? Usage, string? Note) generated;
        using (SiftTelemetry.Start("generate"))
        {
            generated = weak
                ? (null, llm?.Model ?? ExtractiveAnswerer.ModelId, llm?.Prompt.Version, null, null)
                : await GenerateAsync(modelQuestion, context, streaming, cancellationToken).ConfigureAwait(false);
        }

        var (text, model, promptVersion, usage, note) = generated;
        timings["generate"] = Lap(stopwatch);

        var abstained = text is null || text.Trim().StartsWith(NotFound.TrimEnd('.'), StringComparison.OrdinalIgnoreCase);
        CitationReport? report;
        using (SiftTelemetry.Start("cite-check"))
        {
            report = abstained ? null : checker.Check(text!, context);
        }

        timings["cite_check"] = Lap(stopwatch);
        note ??= retrieved.Degraded;

        var answer = abstained ? NotFound : report!.RepairedAnswer;
        string? refused = null;
        if (!abstained && llm is not null && model == llm.Model && llm.Leaks(answer))
        {
            (answer, refused, report) = (LeakRefusal, "the answer repeated the model's instructions (system prompt)", null);
        }

        var (checkedAnswer, answerPii) = guardrails?.ScreenPii("answer", answer) ?? (answer, []);
        answer = checkedAnswer;
        if (onToken is not null && !streamed)
        {
            // Extractive answers and abstentions arrive whole: stream them too, so a client has one code path.
            onToken(answer);
        }

        var tokensIn = weak ? 0 : usage?.InputTokens ?? (context.Tokens + assembler.CountTokens(question) + (llm is null ? 0 : assembler.CountTokens(llm.Prompt.System)));
        var tokensOut = usage?.OutputTokens ?? assembler.CountTokens(text ?? answer);
        var cost = model == ExtractiveAnswerer.ModelId || weak ? 0m : endpoint?.EstimateCost(tokensIn, tokensOut) ?? 0m;
        var degraded = note is not null && !weak;
        Record(model, tokensIn, tokensOut, cost, abstained, degraded);
        return new AnswerRecord(
            modelQuestion,
            answer,
            report?.Citations ?? [],
            [.. retrieved.Select(r => new RetrievedSource(r.Chunk.Id, r.Chunk.DocumentId, r.Score))],
            timings,
            promptVersion,
            model,
            tokensIn,
            tokensOut,
            cost,
            new AnswerFlags(
                abstained,
                Degraded: degraded,
                Extractive: model == ExtractiveAnswerer.ModelId,
                report?.UncitedSentences.Count ?? 0,
                report?.InvalidMarkers.Count ?? 0,
                lowScore ? $"best retrieval score {retrieved.Max(r => r.Score):0.###} is below the threshold {minScore}"
                : lowCoverage ? $"the best passage covers {retrieved.QueryCoverage:P0} of the question's terms (weighted by rarity), below {minCoverage:P0}"
                : note,
                report?.UnsupportedSentences?.Count ?? 0,
                Withheld: guardrails?.Policy.Injection == InjectionAction.Block && flagged.Count > 0 ? flagged : null,
                Flagged: guardrails?.Policy.Injection == InjectionAction.Flag && flagged.Count > 0 ? flagged : null,
                QuestionFlag: questionFlag,
                Pii: pii.Count + passagePii.Count + answerPii.Count > 0 ? [.. pii, .. passagePii, .. answerPii] : null,
                Refused: refused));
    }

    /// <summary>The record of a question a guardrail refused before retrieval: nothing retrieved, nothing generated.</summary>
    private AnswerRecord Refused(
        string question, string answer, string reason, Dictionary<string, double> timings, Stopwatch stopwatch, GuardrailFinding flag, IReadOnlyList<PiiFound> pii)
    {
        timings["screen"] = Lap(stopwatch);
        Record(llm?.Model ?? ExtractiveAnswerer.ModelId, 0, 0, 0, abstained: true, degraded: false);
        return new AnswerRecord(
            question, answer, [], [], timings, llm?.Prompt.Version, llm?.Model ?? ExtractiveAnswerer.ModelId, 0, 0, 0,
            new AnswerFlags(true, false, llm is null, 0, 0, QuestionFlag: flag, Pii: pii.Count > 0 ? pii : null, Refused: reason));
    }

    private static void Record(string model, int tokensIn, int tokensOut, decimal cost, bool abstained, bool degraded)
    {
        var modelTag = new KeyValuePair<string, object?>("model", model);
        SiftTelemetry.Tokens.Add(tokensIn, modelTag, new("direction", "input"));
        SiftTelemetry.Tokens.Add(tokensOut, modelTag, new("direction", "output"));
        SiftTelemetry.Cost.Add((double)cost, modelTag);
        SiftTelemetry.Answers.Add(1, new KeyValuePair<string, object?>("outcome", degraded ? "degraded" : abstained ? "abstained" : "answered"));
    }

    /// <summary>
    /// The same as <see cref="AskAsync"/>, streamed: tokens as the model produces them, then one update carrying the
    /// checked record (whose answer may differ from the streamed text when citations had to be repaired).
    /// </summary>
    public async IAsyncEnumerable<AskUpdate> AskStreamingAsync(
        string question, int topK = DefaultTopK, int budgetTokens = DefaultBudgetTokens, MetadataFilter? filter = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = System.Threading.Channels.Channel.CreateUnbounded<AskUpdate>();
        var asking = Task.Run(async () =>
        {
            try
            {
                var record = await AskAsync(question, topK, budgetTokens, filter, token => channel.Writer.TryWrite(new AskUpdate(token, null)), cancellationToken).ConfigureAwait(false);
                channel.Writer.TryWrite(new AskUpdate(null, record));
                channel.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                channel.Writer.TryComplete(ex);
            }
        }, cancellationToken);

        await foreach (var update in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }

        await asking.ConfigureAwait(false);
    }

    private async Task<(string? Text, string Model, string? PromptVersion, LlmAnswer? Usage, string? Note)> GenerateAsync(
        string question, AssembledContext context, Action<string>? onToken, CancellationToken cancellationToken)
    {
        if (llm is null || context.Passages.Count == 0)
        {
            return (extractive.Answer(question, context), ExtractiveAnswerer.ModelId, null, null, null);
        }

        if (_breaker.IsOpen)
        {
            return (extractive.Answer(question, context), ExtractiveAnswerer.ModelId, null, null, $"{llm.Model} skipped: too many recent failures");
        }

        try
        {
            var answer = await llm.AnswerAsync(question, context, onToken, cancellationToken).ConfigureAwait(false);
            _breaker.RecordSuccess();
            return (answer.Text, llm.Model, llm.Prompt.Version, answer, null);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            _breaker.RecordFailure();
            var reason = ex.Message.Split('\n', 2)[0].Trim();
            return (extractive.Answer(question, context), ExtractiveAnswerer.ModelId, null, null, $"{llm.Model} failed ({reason}); extractive fallback");
        }
    }

    private static double Lap(Stopwatch stopwatch)
    {
        var elapsed = stopwatch.Elapsed.TotalMilliseconds;
        stopwatch.Restart();
        return elapsed;
    }
}
