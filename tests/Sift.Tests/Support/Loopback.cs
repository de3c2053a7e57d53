using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sift.Tests.Support;

/// <summary>
/// Base of the tests' protocol servers: a real HttpListener on a free loopback port, each request answered on its
/// own task (so a deliberately stalled response does not block the next), stopped on dispose.
/// </summary>
public abstract class LoopbackServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Task _loop;

    protected LoopbackServer()
    {
        var port = FreePort();
        _listener = new HttpListener();
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        Root = new Uri($"http://127.0.0.1:{port}/");
        _loop = Task.Run(ServeAsync);
    }

    public Uri Root { get; }

    /// <summary>A loopback port nothing listens on right now.</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    protected CancellationTokenSource Stopping { get; } = new();

    protected abstract Task RespondAsync(HttpListenerContext context);

    protected static async Task WriteJsonAsync(HttpListenerResponse response, int status, string json)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        var bytes = Encoding.UTF8.GetBytes(json);
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }

    private async Task ServeAsync()
    {
        while (!Stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    await RespondAsync(context);
                }
                catch (Exception)
                {
                    // A client that went away, or the server stopping mid-response: drop the connection.
                    context.Response.Abort();
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Stopping.CancelAsync();
        // Close alone: Stop then Close releases the prefixes twice, and the second release re-binds the port on
        // Linux, failing with "address already in use" if another test's server took it in between.
        _listener.Close();
        await _loop;
        Stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}
