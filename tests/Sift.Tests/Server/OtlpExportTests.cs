using System.Net;
using Sift.Server;
using Sift.Tests.Support;

namespace Sift.Tests.Server;

/// <summary>Traces and metrics leave the server over OTLP/HTTP to a collector, with the stage spans and Sift's metrics in them.</summary>
public sealed class OtlpExportTests : IAsyncDisposable
{
    private readonly TempFolder _folder = new();
    private readonly LoopbackOtlpCollector _collector = new();

    public async ValueTask DisposeAsync()
    {
        await _collector.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task StageSpansAndMetricsAreExportedToTheCollector()
    {
        var options = new ServerOptions { StoreRoot = _folder.Combine("store"), RequireKeys = false, OtlpEndpoint = _collector.Root, OtlpProtocol = "http/protobuf" };
        await using (var server = await RunningServer.StartAsync(options))
        {
            var client = server.Client();
            var upload = await client.PostJsonAsync("/v1/collections/kb/documents", new { documents = new[] { new { id = "a", text = "Reciprocal rank fusion merges rankings." } } });
            Assert.Equal("succeeded", (await client.WaitForJobAsync(upload.Headers.Location!.ToString())).GetProperty("status").GetString());
            Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/v1/collections/kb/search", new { query = "rank fusion", mode = "bm25" })).StatusCode);
        }

        // Stopping the server flushes both exporters.
        Assert.All(_collector.Exports, e => Assert.Equal("application/x-protobuf", e.ContentType));
        Assert.True(_collector.Received("/v1/traces", "bm25"), "the bm25 stage span reached the collector");
        Assert.True(_collector.Received("/v1/traces", "POST /v1/collections/{c}/search"), "the request span reached the collector");
        Assert.True(_collector.Received("/v1/metrics", "sift.stage.duration"), "the stage latency histogram reached the collector");
        Assert.True(_collector.Received("/v1/metrics", "http.server.request.duration"), "request latency reached the collector");
    }

    [Fact]
    public async Task AnUnknownOtlpProtocolIsRefusedAtStart()
    {
        var options = new ServerOptions { StoreRoot = _folder.Combine("store"), RequireKeys = false, OtlpEndpoint = _collector.Root, OtlpProtocol = "thrift" };
        var error = await Assert.ThrowsAsync<Sift.Core.InvalidOptionException>(() => RunningServer.StartAsync(options));
        Assert.Equal("OTLP protocol", error.Option);
        Assert.Contains("grpc or http/protobuf", error.Message, StringComparison.Ordinal);
    }
}
