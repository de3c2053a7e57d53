using Sift.Core.Stages;
using Sift.Generation;
using Sift.Generation.Citations;
using Sift.Generation.Context;
using Sift.Generation.Extractive;
using Sift.Generation.Guardrails;
using Sift.Generation.Llm;

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

    public AskPipeline Create(IRetriever retriever, AnswerOptions? options = null)
    {
        options ??= new AnswerOptions();
        var assembler = _assemblers.GetOrAdd(options.Tokenizer, name => new ContextAssembler(ContextAssembler.TokenizerFor(name)));
        return new AskPipeline(
            retriever, assembler, _extractive, _checker, options.Llm, options.Endpoint, breaker, options.MinScore, options.MinCoverage,
            new AnswerGuardrails(options.Guardrails ?? GuardrailPolicy.Default, _injection, GuardrailDetectors.Pii));
    }
}
