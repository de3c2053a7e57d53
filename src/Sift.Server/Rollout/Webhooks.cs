using System.Net.Http.Json;
using Microsoft.Extensions.Logging;

namespace Sift.Server.Rollout;

/// <summary>
/// Posts alerts (canary ends, drift) as JSON to an operator's webhook, off the request path: one shared client, a
/// 10-second limit, and a failure that is one warning line, never an exception or a stack trace in the log.
/// </summary>
public sealed class Webhooks(ILogger<Webhooks> logger) : IDisposable
{
    private readonly HttpClient _client = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>Posts without waiting: the caller (a request, a scheduled check) goes on at once.</summary>
    public void Post(Uri webhook, object payload) => _ = Task.Run(() => SendAsync(webhook, payload));

    public void Dispose() => _client.Dispose();

    private async Task SendAsync(Uri webhook, object payload)
    {
        try
        {
            using var response = await _client.PostAsJsonAsync(webhook, payload).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                logger.LogWarning("webhook {Webhook} answered {Status}", webhook, (int)response.StatusCode);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or NotSupportedException or InvalidOperationException)
        {
            logger.LogWarning("webhook {Webhook} could not be reached: {Message}", webhook, ex.Message);
        }
    }
}
