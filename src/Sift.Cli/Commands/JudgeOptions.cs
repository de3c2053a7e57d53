using System.CommandLine;
using Sift.Evaluation.Judging;
using Sift.Index.Storage;

namespace Sift.Cli.Commands;

/// <summary>
/// The options that choose the LLM judge of <c>sift eval answers</c>: its own provider, endpoint and model (flags,
/// then $SIFT_JUDGE*, then the "judge" section of sift.json), how many times each verdict is sampled, and where
/// verdicts are cached. Its key comes from $SIFT_JUDGE_API_KEY, else the LLM key variables.
/// </summary>
internal sealed class JudgeOptions
{
    private readonly Option<string?> _judge = new("--judge") { Description = "LLM judge for faithfulness, answer relevancy and judged context/citation metrics: openai-compatible | anthropic | none (default: $SIFT_JUDGE, else sift.json, else none: those metrics are reported as not computed)" };
    private readonly Option<string?> _baseUrl = new("--judge-base-url") { Description = "The judge's endpoint (default: $SIFT_JUDGE_BASE_URL, else the provider's)" };
    private readonly Option<string?> _model = new("--judge-model") { Description = "The judge model (default: $SIFT_JUDGE_MODEL, else gpt-4o-mini / claude-haiku-4-5)" };
    private readonly Option<int> _repeats = new("--judge-repeats") { Description = "Ask the judge this many times per verdict and report how often it agrees with itself", DefaultValueFactory = _ => 1 };
    private readonly Option<string?> _cache = new("--judge-cache") { Description = "SQLite file of cached verdicts (default: STORE/judge-cache.db)" };
    private readonly Option<bool> _noCache = new("--no-judge-cache") { Description = "Ask the judge again even for verdicts already cached" };

    public JudgeOptions() => _judge.AcceptOnlyFromAmong("openai-compatible", "anthropic", "none");

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _judge, _baseUrl, _model, _repeats, _cache, _noCache })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The judge, and the cache it writes to (dispose it), or (null, null) when no judge is configured.</summary>
    public (LlmJudge? Judge, VerdictCache? Cache) Build(ParseResult result)
    {
        var root = CommonOptions.HomeFolder(result);
        var config = SiftConfig.Load(root);
        var endpoint = LlmOptions.Endpoint(
            config,
            config.Judge,
            result.GetValue(_judge) ?? Environment.GetEnvironmentVariable("SIFT_JUDGE"),
            result.GetValue(_baseUrl) ?? Environment.GetEnvironmentVariable("SIFT_JUDGE_BASE_URL"),
            result.GetValue(_model) ?? Environment.GetEnvironmentVariable("SIFT_JUDGE_MODEL"),
            timeoutSeconds: null,
            priceIn: null,
            priceOut: null,
            apiKeyVariable: "SIFT_JUDGE_API_KEY");
        if (endpoint is null)
        {
            return (null, null);
        }

        var cache = result.GetValue(_noCache) ? null : new VerdictCache(result.GetValue(_cache) ?? Path.Combine(root, "judge-cache.db"));
        var judge = new LlmJudge(
            endpoint.CreateChatClient(), endpoint.Model, result.GetValue(_repeats), cache, endpoint.InputPricePerMillion, endpoint.OutputPricePerMillion);
        return (judge, cache);
    }
}
