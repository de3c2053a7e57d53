using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Generation;
using Sift.Generation.Citations;
using Sift.Generation.Context;
using Sift.Generation.Extractive;
using Sift.Generation.Guardrails;
using Sift.Generation.Llm;
using Sift.Generation.Steps;

namespace Sift.Composition;

/// <summary>How an answer is made beyond retrieval: the LLM (none: the extractive answerer) and abstention rules.</summary>
/// <param name="Tokenizer">Counts the context budget: "cl100k" or "o200k".</param>
/// <param name="Guardrails">The collection's guardrail policy (<see cref="Core.Storage.CollectionSettings.Guardrails"/>; null: the default,
/// which withholds passages flagged as prompt injection and records personal data).</param>
public sealed record AnswerOptions(
    LlmAnswerer? Llm = null,
    LlmEndpoint? Endpoint = null,
    double MinScore = 0,
    double MinCoverage = AskPipeline.DefaultMinCoverage,
    string Tokenizer = "cl100k",
    GuardrailPolicy? Guardrails = null);

/// <summary>
/// Builds the ask pipeline the one way the CLI (ask, eval answers, demo) and the server all use: context assembly,
/// extractive fallback, citation checking and the LLM, with the stateless stages made once and shared.
/// </summary>
/// <param name="breaker">Shared by every pipeline made here, so repeated LLM failures open it for all requests (the server's).</param>
public sealed class SiftAnswering(ITextAnalyzer analyzer, CircuitBreaker? breaker = null)
{
    /// <summary>Passages retrieved for an answer (and results for a search) when the caller does not say.</summary>
    public const int DefaultTopK = AskPipeline.DefaultTopK;

    /// <summary>Context budget in tokens when the caller does not say.</summary>
    public const int DefaultBudgetTokens = AskPipeline.DefaultBudgetTokens;

    private readonly ExtractiveAnswerer _extractive = new(analyzer);
    private readonly CitationChecker _checker = new(new CitationSupport(analyzer));
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ContextAssembler> _assemblers = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<IInjectionDetector> _injection = GuardrailDetectors.Injection();

    /// <summary>
    /// A multi-step answer: the model plans further searches within <paramref name="limits"/> (<see cref="StepPlanner"/>),
    /// then the one ask pipeline answers from every passage found. The record carries the steps, the planner's tokens
    /// and cost added to the answer's, and why planning stopped when a limit ended it. Without an LLM there is no one
    /// to plan: the answer is a one-step answer saying so.
    /// </summary>
    public async Task<AnswerRecord> AskInStepsAsync(
        IRetriever retriever, AnswerOptions options, string question, int topK, int budgetTokens, MetadataFilter? filter, StepLimits limits,
        Action<string>? onToken, CancellationToken cancellationToken)
    {
        if (options.Llm is null)
        {
            var single = await Create(retriever, options).AskAsync(question, topK, budgetTokens, filter, onToken, cancellationToken).ConfigureAwait(false);
            return single with { Flags = single.Flags with { Stopped = "steps need an LLM to plan them: answered in one step" } };
        }

        var gathered = await new StepPlanner(options.Llm.Client, options.Endpoint)
            .GatherAsync(question, retriever, topK, filter, limits, Guardrails(options), cancellationToken).ConfigureAwait(false);
        var record = await Create(new GatheredRetriever(gathered.Passages), options)
            .AskAsync(question, gathered.Passages.Count, budgetTokens, filter, onToken, cancellationToken).ConfigureAwait(false);
        return record with
        {
            TokensIn = record.TokensIn + gathered.TokensIn,
            TokensOut = record.TokensOut + gathered.TokensOut,
            EstimatedCost = record.EstimatedCost + gathered.Cost,
            Flags = record.Flags with { Stopped = gathered.Stopped },
            Steps = gathered.Steps,
        };
    }

    private AnswerGuardrails Guardrails(AnswerOptions options) => new(options.Guardrails ?? GuardrailPolicy.Default, _injection, GuardrailDetectors.Pii);

    public AskPipeline Create(IRetriever retriever, AnswerOptions? options = null)
    {
        options ??= new AnswerOptions();
        var assembler = _assemblers.GetOrAdd(options.Tokenizer, name => new ContextAssembler(ContextAssembler.TokenizerFor(name)));
        return new AskPipeline(
            retriever, assembler, _extractive, _checker, options.Llm, options.Endpoint, breaker, options.MinScore, options.MinCoverage,
            new AnswerGuardrails(options.Guardrails ?? GuardrailPolicy.Default, _injection, GuardrailDetectors.Pii));
    }
}
