using Sift.Generation.Llm;

namespace Sift.Server;

/// <summary>
/// Whether the configured LLM answers, checked at most every 30 seconds with a cheap request (GET /models for
/// OpenAI-compatible servers; any HTTP answer from Anthropic's host), so /readyz stays fast.
/// </summary>
public sealed class LlmProbe(ServerOptions options, CircuitBreaker breaker, IHttpClientFactory clients)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);
    private (DateTimeOffset At, string Status) _last = (DateTimeOffset.MinValue, "");

    public async Task<string> StatusAsync(CancellationToken cancellationToken)
    {
        if (options.Llm is not { } llm)
        {
            return "none (extractive answers)";
        }

        if (breaker.IsOpen)
        {
            return "degraded: circuit open after repeated failures (extractive answers)";
        }

        var last = _last;
        if (DateTimeOffset.UtcNow - last.At < Interval)
        {
            return last.Status;
        }

        string status;
        try
        {
            using var client = clients.CreateClient("llm-probe");
            client.Timeout = TimeSpan.FromSeconds(2);
            var probe = llm.Provider == LlmProvider.OpenAiCompatible ? new Uri(llm.BaseUrl.AbsoluteUri.TrimEnd('/') + "/models") : llm.BaseUrl;
            using var response = await client.GetAsync(probe, cancellationToken).ConfigureAwait(false);
            status = (int)response.StatusCode < 500 ? "reachable" : $"degraded: {llm.BaseUrl.Host} answered {(int)response.StatusCode} (extractive answers)";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            status = $"degraded: {llm.BaseUrl.Host} unreachable (extractive answers)";
        }

        _last = (DateTimeOffset.UtcNow, status);
        return status;
    }
}
