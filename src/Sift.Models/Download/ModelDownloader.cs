using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sift.Core;

namespace Sift.Models.Download;

/// <summary>Progress of one file: bytes so far and, when the server said, the total.</summary>
public sealed record DownloadProgress(string File, long Bytes, long? Total);

/// <summary>What a pull fetched.</summary>
public sealed record PulledModel(string Folder, Uri Source, IReadOnlyList<PulledFile> Files);

public sealed record PulledFile(string Path, long Bytes, string Sha256, bool Verified, bool Resumed);

/// <summary>
/// Downloads a model folder from a Hugging Face-style server (<c>{endpoint}/{name}/resolve/{revision}/{file}</c>) or
/// from any base URL: the ONNX model, tokenizer and configuration files Sift reads. Each file streams to a
/// <c>.part</c> file that a later run resumes with an HTTP Range request; a file is only renamed into place once
/// complete and, when the server publishes a SHA-256 (Hugging Face's X-Linked-ETag for large files), verified.
/// </summary>
public sealed partial class ModelDownloader(HttpClient http)
{
    public static Uri DefaultEndpoint { get; } = new("https://huggingface.co/");

    /// <summary>Alternatives in order: the first that exists is fetched; a group none of which exists is an error.</summary>
    private static readonly string[][] Required = [["onnx/model.onnx", "model.onnx"], ["config.json"], ["tokenizer.json", "vocab.txt"]];

    private static readonly string[] Optional =
        ["vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "modules.json", "1_Pooling/config.json", "sentence_bert_config.json"];

    /// <summary>The folder URL for a model name ("BAAI/bge-small-en-v1.5") or an explicit http(s) URL.</summary>
    public static Uri SourceFor(string nameOrUrl, Uri endpoint, string revision = "main")
    {
        if (Uri.TryCreate(nameOrUrl, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
        {
            return url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
        }

        if (!ModelName().IsMatch(nameOrUrl))
        {
            throw new SiftException($"'{nameOrUrl}' is neither a model name like BAAI/bge-small-en-v1.5 nor an http(s) URL");
        }

        return new Uri(endpoint, $"{nameOrUrl}/resolve/{revision}/");
    }

    public async Task<PulledModel> PullAsync(Uri source, string folder, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(folder);
        var files = new List<PulledFile>();
        foreach (var alternatives in Required)
        {
            PulledFile? pulled = null;
            foreach (var file in alternatives)
            {
                pulled = await TryFetchAsync(source, folder, file, progress, cancellationToken).ConfigureAwait(false);
                if (pulled is not null)
                {
                    break;
                }
            }

            files.Add(pulled ?? throw new SiftException($"{source} has none of {string.Join(", ", alternatives)}"));
        }

        foreach (var file in Optional.Where(f => files.All(p => p.Path != f)))
        {
            if (await TryFetchAsync(source, folder, file, progress, cancellationToken).ConfigureAwait(false) is { } pulled)
            {
                files.Add(pulled);
            }
        }

        var manifest = new { source = source.AbsoluteUri, pulledAt = DateTimeOffset.UtcNow, files };
        await File.WriteAllTextAsync(Path.Combine(folder, "sift-model.json"), JsonSerializer.Serialize(manifest, new JsonSerializerOptions { WriteIndented = true }), cancellationToken).ConfigureAwait(false);
        return new PulledModel(folder, source, files);
    }

    /// <summary>Fetches one file; null when the server does not have it (404).</summary>
    private async Task<PulledFile?> TryFetchAsync(Uri source, string folder, string file, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var target = Path.Combine(folder, file.Replace('/', Path.DirectorySeparatorChar));
        var partial = target + ".part";
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var offset = File.Exists(partial) ? new FileInfo(partial).Length : 0;

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(source, file));
        if (offset > 0)
        {
            request.Headers.Range = new RangeHeaderValue(offset, null);
        }

        if (Environment.GetEnvironmentVariable("HF_TOKEN") is { Length: > 0 } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new SiftException($"cannot reach {source}: {ex.Message}", ex);
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                // The partial file is already complete (or the server changed it): start again cleanly.
                File.Delete(partial);
                return await TryFetchAsync(source, folder, file, progress, cancellationToken).ConfigureAwait(false);
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new SiftException($"downloading {file} from {source} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            var resumed = response.StatusCode == HttpStatusCode.PartialContent;
            if (!resumed)
            {
                offset = 0;
            }

            var total = response.Content.Headers.ContentLength is { } length ? length + offset : (long?)null;
            var expected = PublishedSha256(response);
            await using (var output = new FileStream(partial, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write))
            await using (var input = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))
            {
                var buffer = new byte[1 << 16];
                var done = offset;
                try
                {
                    int read;
                    while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                        done += read;
                        progress?.Report(new DownloadProgress(file, done, total));
                    }
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException)
                {
                    throw new SiftException($"downloading {file} was interrupted after {done:N0} bytes; run the same command again to resume", ex);
                }

                if (total is { } size && done != size)
                {
                    throw new SiftException($"downloading {file} stopped at {done:N0} of {size:N0} bytes; run the same command again to resume");
                }
            }

            var actual = await Sha256Async(partial, cancellationToken).ConfigureAwait(false);
            if (expected is not null && !string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
            {
                File.Delete(partial);
                throw new SiftException($"{file} failed its checksum (server says sha256 {expected}, received {actual}); the partial download was removed");
            }

            File.Move(partial, target, overwrite: true);
            return new PulledFile(file, new FileInfo(target).Length, actual, expected is not null, resumed);
        }
    }

    /// <summary>Hugging Face sends a large file's SHA-256 as X-Linked-ETag (or ETag); small files carry a git hash, which is not used.</summary>
    private static string? PublishedSha256(HttpResponseMessage response)
    {
        foreach (var header in new[] { "X-Linked-ETag", "ETag" })
        {
            if (response.Headers.TryGetValues(header, out var values))
            {
                var value = values.First().Trim().TrimStart('W', '/').Trim('"');
                if (Sha256Hex().IsMatch(value))
                {
                    return value.ToLowerInvariant();
                }
            }
        }

        return null;
    }

    private static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex ModelName();

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256Hex();
}
