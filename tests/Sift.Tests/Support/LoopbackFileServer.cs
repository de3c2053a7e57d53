using System.Net;
using System.Security.Cryptography;

namespace Sift.Tests.Support;

/// <summary>
/// A real HTTP file server on loopback for model downloads: serves files under <c>/{name}/resolve/main/</c> with
/// Range support and a SHA-256 X-Linked-ETag, 404 for the rest; can cut a file off once part-way, or lie about a hash.
/// </summary>
public sealed class LoopbackFileServer : LoopbackServer
{
    private readonly Dictionary<string, byte[]> _files;

    public LoopbackFileServer(Dictionary<string, byte[]> files)
    {
        _files = files;
        Endpoint = Root;
    }

    public Uri Endpoint { get; }

    /// <summary>The next response for this file stops after this many bytes.</summary>
    public Dictionary<string, int> CutOffOnce { get; } = [];

    public HashSet<string> WrongChecksum { get; } = [];

    public List<string> RangeRequests { get; } = [];

    protected override async Task RespondAsync(HttpListenerContext context)
    {
        var path = context.Request.Url!.AbsolutePath;
        var file = path.Contains("/resolve/main/", StringComparison.Ordinal) ? path[(path.IndexOf("/resolve/main/", StringComparison.Ordinal) + 14)..] : "";
        var response = context.Response;
        if (!_files.TryGetValue(file, out var bytes))
        {
            response.StatusCode = 404;
            response.Close();
            return;
        }

        var hash = WrongChecksum.Contains(file) ? new string('0', 64) : Convert.ToHexStringLower(SHA256.HashData(bytes));
        response.AddHeader("X-Linked-ETag", $"\"{hash}\"");
        var start = 0;
        if (context.Request.Headers["Range"] is { } range)
        {
            RangeRequests.Add($"{file} {range}");
            start = int.Parse(range["bytes=".Length..].TrimEnd('-'), System.Globalization.CultureInfo.InvariantCulture);
            response.StatusCode = 206;
            response.AddHeader("Content-Range", $"bytes {start}-{bytes.Length - 1}/{bytes.Length}");
        }

        response.ContentLength64 = bytes.Length - start;
        if (CutOffOnce.Remove(file, out var cut))
        {
            await response.OutputStream.WriteAsync(bytes.AsMemory(start, cut));
            await response.OutputStream.FlushAsync();
            response.Abort();
            return;
        }

        await response.OutputStream.WriteAsync(bytes.AsMemory(start));
        response.Close();
    }
}
