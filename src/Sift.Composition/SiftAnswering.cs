using Sift.Core.Stages;
using Sift.Generation;
using Sift.Generation.Citations;
using Sift.Generation.Context;
using Sift.Generation.Extractive;
using Sift.Generation.Llm;

namespace Sift.Composition;

/// <summary>How an answer is made beyond retrieval: the LLM (none: the extractive answerer) and abstention rules.</summary>
/// <param name="Tokenizer">Counts the context budget: "cl100k" or "o200k".</param>
/// <param name="ScreenInjections">Withhold retrieved passages the injection detectors flag from the model's context (on unless turned off).</param>
public sealed record AnswerOptions(
    LlmAnswerer? Llm = null,
    LlmEndpoint? Endpoint = null,
    double MinScore = 0,
    double MinCoverage = AskPipeline.DefaultMinCoverage,
    string Tokenizer = "cl100k",
    bool ScreenInjections = true);

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
    private readonly IReadOnlyList<IInjectionDetector> _screens = InjectionDetectors.Create();

    public AskPipeline Create(IRetriever retriever, AnswerOptions? options = null)
    {
        options ??= new AnswerOptions();
        var assembler = _assemblers.GetOrAdd(options.Tokenizer, name => new ContextAssembler(ContextAssembler.TokenizerFor(name)));
        return new AskPipeline(
            retriever, assembler, _extractive, _checker, options.Llm, options.Endpoint, breaker, options.MinScore, options.MinCoverage, options.ScreenInjections ? _screens : null);
    }
}
