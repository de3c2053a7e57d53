using System.CommandLine;
using Sift.Core;
using Sift.Generation;
using Sift.Generation.Llm;
using Sift.Generation.Prompts;
using Sift.Index.Storage;

namespace Sift.Cli.Commands;

/// <summary>The options that choose and configure the LLM, shared by ask and eval answers. Flags win over the environment, which wins over sift.json.</summary>
internal sealed class LlmOptions
{
    private readonly Option<string?> _llm = new("--llm") { Description = "openai-compatible (OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp, LM Studio) | anthropic; default: $SIFT_LLM, else none (extractive answers)" };
    private readonly Option<string?> _baseUrl = new("--base-url") { Description = "The LLM endpoint, e.g. http://localhost:11434/v1 (default: $SIFT_LLM_BASE_URL, else the provider's); key from $SIFT_LLM_API_KEY, else $OPENAI_API_KEY / $ANTHROPIC_API_KEY" };
    private readonly Option<string?> _model = new("--model") { Description = "Model name (default: $SIFT_LLM_MODEL, else gpt-4o-mini / claude-haiku-4-5)" };
    private readonly Option<string?> _prompt = new("--prompt") { Description = $"Prompt template id (sift prompts list; default {PromptLibrary.DefaultId})" };
    private readonly Option<int?> _timeout = new("--timeout") { Description = "Seconds to wait for the LLM before falling back to an extractive answer (default 60)" };
    private readonly Option<decimal?> _priceIn = new("--price-in") { Description = "Price per million input tokens, for the cost estimate" };
    private readonly Option<decimal?> _priceOut = new("--price-out") { Description = "Price per million output tokens, for the cost estimate" };
    private readonly Option<double> _minScore = new("--min-score") { Description = "Abstain (\"not found in the sources\") when the best retrieval score is below this; calibrate with sift eval abstention", DefaultValueFactory = _ => 0 };
    private readonly Option<double> _minCoverage = new("--min-coverage") { Description = "Abstain when the best passage holds less than this share (0..1) of the question's terms, weighted by rarity (0 turns it off; --min-score replaces it); sift eval abstention measures it", DefaultValueFactory = _ => AskPipeline.DefaultMinCoverage };

    public LlmOptions() => _llm.AcceptOnlyFromAmong("openai-compatible", "anthropic", "none");

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _llm, _baseUrl, _model, _prompt, _timeout, _priceIn, _priceOut, _minScore, _minCoverage })
        {
            command.Options.Add(option);
        }
    }

    public double MinScore(ParseResult result) => result.GetValue(_minScore);

    public double MinCoverage(ParseResult result) => result.GetValue(_minCoverage);

    /// <summary>The LLM answerer and its endpoint, or (null, null) when no LLM is configured.</summary>
    public (LlmAnswerer? Answerer, LlmEndpoint? Endpoint) Build(ParseResult result)
    {
        var config = SiftConfig.Load(CommonOptions.HomeFolder(result));
        var endpoint = Endpoint(
            config,
            config.Llm,
            result.GetValue(_llm) ?? Environment.GetEnvironmentVariable("SIFT_LLM"),
            result.GetValue(_baseUrl) ?? Environment.GetEnvironmentVariable("SIFT_LLM_BASE_URL"),
            result.GetValue(_model) ?? Environment.GetEnvironmentVariable("SIFT_LLM_MODEL"),
            result.GetValue(_timeout),
            result.GetValue(_priceIn),
            result.GetValue(_priceOut),
            apiKeyVariable: null);
        if (endpoint is null)
        {
            return (null, null);
        }

        var template = PromptLibrary.Get(result.GetValue(_prompt) ?? config.Llm?.Prompt ?? PromptLibrary.DefaultId, PromptsCommand.UserFolder(result));
        return (new LlmAnswerer(endpoint.CreateChatClient(), template, endpoint.Model), endpoint);
    }

    /// <summary>
    /// A chat endpoint from what was asked (flags, then environment), then the config section, then provider defaults;
    /// null when the provider resolves to "none".
    /// </summary>
    /// <param name="apiKeyVariable">An environment variable tried before the usual LLM key variables (the judge's own key).</param>
    public static LlmEndpoint? Endpoint(
        SiftConfig config, LlmConfig? section, string? provider, string? baseUrl, string? model, int? timeoutSeconds,
        decimal? priceIn, decimal? priceOut, string? apiKeyVariable)
    {
        provider ??= section?.Provider ?? "none";
        if (provider is not ("none" or "openai-compatible" or "anthropic"))
        {
            throw new SiftException($"unknown LLM provider '{provider}' (use openai-compatible, anthropic or none)");
        }

        if (provider == "none")
        {
            return null;
        }

        var anthropic = provider == "anthropic";
        var modelName = model ?? section?.Model ?? (anthropic ? "claude-haiku-4-5" : "gpt-4o-mini");
        var price = config.Prices?.GetValueOrDefault(modelName);
        var key = (apiKeyVariable is null ? null : Environment.GetEnvironmentVariable(apiKeyVariable)) ?? SiftConfig.ApiKey(anthropic ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY");
        return new LlmEndpoint(
            anthropic ? LlmProvider.Anthropic : LlmProvider.OpenAiCompatible,
            new Uri(baseUrl ?? section?.BaseUrl ?? (anthropic ? "https://api.anthropic.com" : "https://api.openai.com/v1")),
            modelName,
            key,
            TimeSpan.FromSeconds(timeoutSeconds ?? section?.TimeoutSeconds ?? 60),
            section?.MaxRetries ?? 3,
            priceIn ?? price?.InputPerMillion,
            priceOut ?? price?.OutputPerMillion);
    }
}
