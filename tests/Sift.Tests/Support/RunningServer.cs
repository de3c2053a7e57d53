using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Sift.Server;

namespace Sift.Tests.Support;

/// <summary>The real Sift server (Kestrel on a free loopback port) and HTTP clients for it, one per API key.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RunningServer(WebApplication app, Uri root)
    {
        _app = app;
        Root = root;
    }

    public Uri Root { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<RunningServer> StartAsync(ServerOptions options, string url = "http://127.0.0.1:0")
    {
        var app = SiftServer.Build(options, [url]);
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new RunningServer(app, new Uri(app.Urls.First()));
    }

    public HttpClient Client(string? key = null, HttpMessageHandler? handler = null)
    {
        var client = new HttpClient(handler ?? new HttpClientHandler()) { BaseAddress = Root, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>Stops as on SIGTERM: no new connections; requests in flight finish first.</summary>
    public Task StopAsync() => _app.StopAsync(CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}

/// <summary>JSON helpers for responses.</summary>
public static class HttpJson
{
    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, object body) =>
        client.PostAsJsonAsync(path, body, TestContext.Current.CancellationToken);

    /// <summary>Polls an ingestion job until it ends.</summary>
    public static async Task<JsonElement> WaitForJobAsync(this HttpClient client, string location)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            var job = await (await client.GetAsync(location, TestContext.Current.CancellationToken)).JsonAsync();
            if (job.GetProperty("status").GetString() is "succeeded" or "failed")
            {
                return job;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException($"job {location} did not finish");
    }
}
