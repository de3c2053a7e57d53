using System.Text.Json;
using System.Text.Json.Serialization;
using Sift.Core;

namespace Sift.Cli.Commands;

/// <summary>
/// Settings from <c>sift.json</c> in the store folder (or the file named by <c>SIFT_CONFIG</c>). Command-line flags
/// win over the environment, which wins over this file. Secrets never live here: API keys come from the environment
/// (<c>SIFT_LLM_API_KEY</c>) or a file named by <c>SIFT_LLM_API_KEY_FILE</c>.
/// </summary>
internal sealed record SiftConfig(LlmConfig? Llm, LlmConfig? Judge, Dictionary<string, PriceConfig>? Prices)
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static SiftConfig Load(string storeRoot)
    {
        var path = Environment.GetEnvironmentVariable("SIFT_CONFIG") ?? Path.Combine(storeRoot, "sift.json");
        if (!File.Exists(path))
        {
            return new SiftConfig(null, null, null);
        }

        try
        {
            return JsonSerializer.Deserialize<SiftConfig>(File.ReadAllText(path), Options) ?? new SiftConfig(null, null, null);
        }
        catch (JsonException ex)
        {
            var hint = ex.Message.Contains("apiKey", StringComparison.OrdinalIgnoreCase)
                ? "API keys do not belong in sift.json: use SIFT_LLM_API_KEY or SIFT_LLM_API_KEY_FILE"
                : ex.Message.Split('.')[0];
            throw new SiftException($"{path}: {hint}", ex);
        }
    }

    /// <summary>The LLM API key from the environment or the secrets file it names; never from sift.json.</summary>
    public static string? ApiKey(string providerVariable)
    {
        if (Environment.GetEnvironmentVariable("SIFT_LLM_API_KEY_FILE") is { Length: > 0 } file)
        {
            return File.Exists(file) ? File.ReadAllText(file).Trim() : throw new SiftException($"SIFT_LLM_API_KEY_FILE names {file}, which does not exist");
        }

        return Environment.GetEnvironmentVariable("SIFT_LLM_API_KEY") ?? Environment.GetEnvironmentVariable(providerVariable);
    }
}

internal sealed record LlmConfig(string? Provider, string? BaseUrl, string? Model, int? TimeoutSeconds, int? MaxRetries, string? Prompt);

/// <summary>Prices per million tokens for one model.</summary>
internal sealed record PriceConfig(decimal InputPerMillion, decimal OutputPerMillion);
