using System.Net;
using System.Net.Sockets;

namespace Sift.Tests.Support;

/// <summary>Starts an HttpListener on a free loopback port, for the tests' protocol servers.</summary>
public static class Loopback
{
    public static (HttpListener Listener, Uri Root) StartListener()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        return (listener, new Uri($"http://127.0.0.1:{port}/"));
    }
}
