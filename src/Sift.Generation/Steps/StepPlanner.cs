using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;
using Sift.Core;
using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Core.Telemetry;
using Sift.Generation.Llm;

namespace Sift.Generation.Steps;

/// <summary>
/// Hard limits on a multi-step answer: planning steps, the planner's tokens, wall time and estimated cost. Whichever
/// is reached first ends the search for more passages; the answer is then made from what was found, flagged.
/// </summary>
public sealed record StepLimits(int MaxSteps, int MaxTokens = StepLimits.DefaultMaxTokens, TimeSpan? MaxTime = null, decimal? MaxCost = null)
{
    /// <summary>No request may ask for more steps than this.</summary>
    public const int HardCap = 10;

    public const int DefaultMaxTokens = 20_000;

    public static readonly TimeSpan DefaultMaxTime = TimeSpan.FromSeconds(60);

    public TimeSpan Time => MaxTime ?? DefaultMaxTime;

    /// <summary>Validated limits for values a caller typed, naming the option that is wrong.</summary>
    public static StepLimits Create(int steps, int? tokens = null, double? seconds = null, decimal? cost = null) =>
        steps is < 1 or > HardCap ? throw new InvalidOptionException("steps", $"must be between 1 and {HardCap} (got {steps})")
        : tokens is < 100 ? throw new InvalidOptionException("step tokens", $"must be at least 100 (got {tokens})")
        : seconds is <= 0 ? throw new InvalidOptionException("step seconds", $"must be more than 0 (got {seconds})")
        : cost is < 0 ? throw new InvalidOptionException("step cost", $"must be 0 or more (got {cost})")
        : new StepLimits(steps, tokens ?? DefaultMaxTokens, seconds is { } s ? TimeSpan.FromSeconds(s) : null, cost);
}

/// <summary>One step of a multi-step answer: what the model asked for, what it found, and what it cost.</summary>
/// <param name="Action">"search" (a refined query), "answer" (the passages suffice), or "invalid" (a reply that was neither).</param>
public sealed record AnswerStep(int Step, string Action, string? Query, int NewPassages, int TokensIn, int TokensOut, double Ms);

/// <summary>The passages gathered over the steps, the steps, why gathering stopped early (null: the model was done), and the planner's usage.</summary>
public sealed record GatheredPassages(RetrievalResults Passages, IReadOnlyList<AnswerStep> Steps, string? Stopped, int TokensIn, int TokensOut, decimal Cost);

/// <summary>
/// Bounded multi-step retrieval: after the first retrieval, the model sees the question and the passages found so far
/// and either asks for one more search with a refined query (a sub-question, a missing term) or says the passages
/// suffice. Each step is a span ("step") and a line of the answer record; the step, token, time and cost limits and
/// the caller's cancellation (the kill switch) end it, whatever the model says.
/// </summary>
public sealed class StepPlanner(IChatClient client, LlmEndpoint? endpoint = null)
{
    private const string Instructions =
        "You plan the research for a question over a document collection. You see the question and the passages found " +
        "so far. If they do not hold everything needed to answer it, reply with exactly one line: SEARCH: followed by one " +
        "new search query for what is missing (a sub-question, another term). If they suffice, reply with exactly: ANSWER. " +
        "Do not answer the question yourself.";

    /// <summary>Characters of each passage the planner sees: enough to judge what it covers.</summary>
    private const int PreviewChars = 300;

    /// <summary>Longest refined query taken from the model (a question's length).</summary>
    private const int RetrievalQueryLimit = 300;

    /// <param name="guardrails">What the model may see of the question and the passages (the answer's own guardrails: flagged passages withheld, personal data redacted).</param>
    public async Task<GatheredPassages> GatherAsync(
        string question, IRetriever retriever, int topK, MetadataFilter? filter, StepLimits limits, Guardrails.AnswerGuardrails? guardrails, CancellationToken cancellationToken)
    {
        var shownQuestion = guardrails?.ScreenPii("question", question).Text ?? question;
        IReadOnlyList<RetrievedChunk> Shown(List<RetrievedChunk> found)
        {
            var results = new RetrievalResults(found);
            return guardrails is null ? results : guardrails.RedactPassages(guardrails.ScreenPassages(results).Kept).Passages;
        }

        var started = Stopwatch.StartNew();
        var first = await retriever.RetrieveAsync(new RetrievalQuery(question, topK, filter, MeasureCoverage: true), cancellationToken).ConfigureAwait(false);
        var passages = first.ToList();
        var seen = passages.Select(p => p.Chunk.Id).ToHashSet();
        var steps = new List<AnswerStep>();
        var (tokensIn, tokensOut, cost) = (0, 0, 0m);
        string? stopped = null;
        for (var step = 1; ; step++)
        {
            stopped = step > limits.MaxSteps ? $"step limit reached ({limits.MaxSteps})"
                : tokensIn + tokensOut >= limits.MaxTokens ? $"token limit reached ({tokensIn + tokensOut} of {limits.MaxTokens})"
                : started.Elapsed >= limits.Time ? $"time limit reached ({limits.Time.TotalSeconds:0.#} s)"
                : limits.MaxCost is { } maxCost && cost >= maxCost ? $"cost limit reached (${cost:0.####} of ${maxCost:0.####})"
                : null;
            if (stopped is not null)
            {
                break;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var stepStarted = Stopwatch.GetTimestamp();
            using var span = SiftTelemetry.Start("step");
            span.Activity?.SetTag("sift.step", step);
            ChatResponse reply;
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                deadline.CancelAfter(limits.Time - started.Elapsed);
                try
                {
                    reply = await client.GetResponseAsync(
                        [new(ChatRole.System, Instructions), new(ChatRole.User, Prompt(shownQuestion, Shown(passages)))],
                        new ChatOptions { Temperature = 0, MaxOutputTokens = 100 },
                        deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    stopped = $"time limit reached ({limits.Time.TotalSeconds:0.#} s)";
                    break;
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OutOfMemoryException)
                {
                    // A model that fails (down, refusing, rate-limited) ends the planning; the answer falls back as any answer does.
                    stopped = $"the model failed while planning ({ex.Message.Split('\n', 2)[0].Trim()})";
                    break;
                }
            }

            var (usedIn, usedOut) = ((int?)reply.Usage?.InputTokenCount ?? 0, (int?)reply.Usage?.OutputTokenCount ?? 0);
            (tokensIn, tokensOut) = (tokensIn + usedIn, tokensOut + usedOut);
            cost += endpoint?.EstimateCost(usedIn, usedOut) ?? 0;
            var line = reply.Text.Trim().Split('\n')[0].Trim();
            var (action, query) = line.StartsWith("SEARCH:", StringComparison.OrdinalIgnoreCase) && line[7..].Trim() is { Length: > 0 } asked
                ? ("search", asked[..Math.Min(asked.Length, RetrievalQueryLimit)])
                : line.StartsWith("ANSWER", StringComparison.OrdinalIgnoreCase) ? ("answer", (string?)null)
                : ("invalid", null);
            var added = 0;
            if (action == "search")
            {
                foreach (var found in await retriever.RetrieveAsync(new RetrievalQuery(query!, topK, filter), cancellationToken).ConfigureAwait(false))
                {
                    if (seen.Add(found.Chunk.Id))
                    {
                        passages.Add(found with { Rank = passages.Count + 1 });
                        added++;
                    }
                }
            }

            span.Activity?.SetTag("sift.step.action", action);
            span.Activity?.SetTag("sift.step.query", query);
            span.Activity?.SetTag("sift.step.new_passages", added);
            steps.Add(new AnswerStep(step, action, query, added, usedIn, usedOut, Stopwatch.GetElapsedTime(stepStarted).TotalMilliseconds));
            if (action == "answer")
            {
                break;
            }

            if (action == "invalid")
            {
                stopped = "the model's step reply was neither SEARCH: nor ANSWER";
                break;
            }
        }

        // The first retrieval's coverage of the question says nothing of passages later searches found for its parts.
        var coverage = passages.Count > first.Count ? null : first.QueryCoverage;
        return new GatheredPassages(new RetrievalResults(passages, first.Degraded, coverage), steps, stopped, tokensIn, tokensOut, cost);
    }

    private static string Prompt(string question, IReadOnlyList<RetrievedChunk> passages)
    {
        var text = new StringBuilder().Append("Question: ").AppendLine(question).AppendLine().AppendLine("Passages found so far:");
        foreach (var (passage, i) in passages.Select((p, i) => (p, i + 1)))
        {
            var preview = passage.Chunk.Text.Length > PreviewChars ? passage.Chunk.Text[..PreviewChars] + "..." : passage.Chunk.Text;
            text.Append(CultureInfo.InvariantCulture, $"[{i}] {passage.Chunk.Title}: {preview.ReplaceLineEndings(" ")}").AppendLine();
        }

        return text.ToString();
    }
}

/// <summary>Passages already gathered, served as a retrieval (so the answer is made by the one pipeline every answer uses).</summary>
public sealed class GatheredRetriever(RetrievalResults passages) : IRetriever
{
    public Task<RetrievalResults> RetrieveAsync(RetrievalQuery query, CancellationToken cancellationToken = default) => Task.FromResult(passages);
}
