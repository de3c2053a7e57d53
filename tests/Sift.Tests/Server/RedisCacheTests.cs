using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Sift.Server;
using Sift.Server.Auth;
using Sift.Tests.Support;

namespace Sift.Tests.Server;

/// <summary>With --redis, two servers share the exact cache through a real Redis (Debian's redis-server).</summary>
[Collection(CacheCounters.Name)]
public sealed class RedisCacheTests : IAsyncDisposable
{
    private readonly TempFolder _folder = new();
    private readonly Process _redis;
    private readonly int _port;

    public RedisCacheTests()
    {
        _port = LoopbackServer.FreePort();
        var executable = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed: apt-get install redis-server (.ci/run does)");
        _redis = Process.Start(new ProcessStartInfo(executable, ["--port", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
    }

    public async ValueTask DisposeAsync()
    {
        _redis.Kill();
        await _redis.WaitForExitAsync();
        _redis.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task TwoServersShareTheExactCacheThroughRedis()
    {
        await WaitForRedisAsync();
        var store = _folder.Combine("store");
        var key = new ApiKeyStore(store).Create("all", [Scopes.Read, Scopes.Ingest], ["*"], []).Secret;
        var options = new ServerOptions { StoreRoot = store, Redis = $"127.0.0.1:{_port}" };
        await using var first = await RunningServer.StartAsync(options);
        await using var second = await RunningServer.StartAsync(options);

        var upload = await first.Client(key).PostJsonAsync("/v1/collections/kb/documents", new { documents = new[] { new { id = "a", text = "Redis shares cached search results between servers." } } });
        Assert.Equal("succeeded", (await first.Client(key).WaitForJobAsync(upload.Headers.Location!.ToString())).GetProperty("status").GetString());

        var miss = await (await first.Client(key).PostJsonAsync("/v1/collections/kb/search", new { query = "shared cached results" })).JsonAsync();
        var hit = await (await second.Client(key).PostJsonAsync("/v1/collections/kb/search", new { query = "shared cached results" })).JsonAsync();

        Assert.False(miss.GetProperty("cached").GetBoolean());
        Assert.True(hit.GetProperty("cached").GetBoolean(), "the second server found the first one's result in Redis");
        Assert.Equal(miss.GetProperty("results").GetRawText(), hit.GetProperty("results").GetRawText());
    }

    private async Task WaitForRedisAsync()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, _port, TestContext.Current.CancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }

        throw new TimeoutException("redis-server did not start");
    }

}
