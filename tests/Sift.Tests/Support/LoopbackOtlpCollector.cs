using System.Collections.Concurrent;
using System.Net;

namespace Sift.Tests.Support;

/// <summary>
/// The receiving end of OTLP over HTTP (what an OpenTelemetry Collector listens for on port 4318): accepts
/// protobuf exports on /v1/traces and /v1/metrics and keeps them for inspection.
/// </summary>
public sealed class LoopbackOtlpCollector : LoopbackServer
{
    public ConcurrentBag<(string Path, string? ContentType, byte[] Body)> Exports { get; } = [];

    /// <summary>Whether any export to this path contains this text (protobuf keeps strings as UTF-8 bytes).</summary>
    public bool Received(string path, string text)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes(text);
        return Exports.Any(e => e.Path == path && e.Body.AsSpan().IndexOf(needle) >= 0);
    }

    protected override async Task RespondAsync(HttpListenerContext context)
    {
        using var body = new MemoryStream();
        await context.Request.InputStream.CopyToAsync(body);
        var path = context.Request.Url!.AbsolutePath;
        if (path is "/v1/traces" or "/v1/metrics")
        {
            Exports.Add((path, context.Request.ContentType, body.ToArray()));
        }

        context.Response.StatusCode = path is "/v1/traces" or "/v1/metrics" ? 200 : 404;
        context.Response.ContentType = "application/x-protobuf";
        context.Response.ContentLength64 = 0;
        context.Response.Close();
    }
}
