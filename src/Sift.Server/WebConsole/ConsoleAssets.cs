using System.IO.Compression;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Sift.Server.WebConsole;

/// <summary>
/// The console's static files (its stylesheet and script, htmx and uPlot vendored from npm), embedded in the assembly
/// so <c>sift serve</c> needs no folder beside it. Each is read once, gzipped once and named with a hash of its
/// content, so browsers may keep it forever and a new build is fetched anew.
/// </summary>
public sealed class ConsoleAssets
{
    private const string Prefix = "console/";

    private readonly Dictionary<string, Asset> _assets = new(StringComparer.Ordinal);

    public ConsoleAssets()
    {
        var assembly = typeof(ConsoleAssets).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            using var zipped = new MemoryStream();
            using (var gzip = new GZipStream(zipped, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                gzip.Write(bytes);
            }

            var hash = Convert.ToHexStringLower(SHA256.HashData(bytes))[..12];
            _assets[name[Prefix.Length..]] = new Asset(bytes, zipped.ToArray(), hash, ContentType(name));
        }
    }

    /// <summary>The URL of an asset, versioned by its content: "/console/assets/console.css?v=1a2b3c4d5e6f".</summary>
    public string Url(string name) => $"/console/assets/{name}?v={_assets[name].Hash}";

    public IResult Serve(string name, HttpContext context)
    {
        if (!_assets.TryGetValue(name, out var asset))
        {
            return Results.NotFound();
        }

        var headers = context.Response.Headers;
        var gzip = context.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase);
        headers.ETag = gzip ? $"\"{asset.Hash}-gz\"" : $"\"{asset.Hash}\""; // two encodings, two entities
        headers.CacheControl = context.Request.Query["v"] == asset.Hash ? "public, max-age=31536000, immutable" : "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers.Vary = "Accept-Encoding";
        if (context.Request.Headers.IfNoneMatch == headers.ETag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        if (gzip)
        {
            headers.ContentEncoding = "gzip";
            return Results.Bytes(asset.Gzipped, asset.ContentType);
        }

        return Results.Bytes(asset.Bytes, asset.ContentType);
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };

    private sealed record Asset(byte[] Bytes, byte[] Gzipped, string Hash, string ContentType);
}
