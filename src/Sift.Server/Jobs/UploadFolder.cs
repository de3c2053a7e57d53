using System.IO.Compression;
using Sift.Core;

namespace Sift.Server.Jobs;

/// <summary>
/// The folder an upload's files are written to, checking every name before anything is written: a plain relative
/// path (no "..", no absolute path or drive, no hidden segment such as ".txt" that ingestion would skip), inside the
/// folder (zip-slip), and not colliding with another file of the same upload ("a.txt" twice, or "a.txt" and
/// "a.txt/b.txt", whichever comes first). A bad name is an <see cref="InvalidDataException"/> naming it, which the
/// server answers as 400.
/// </summary>
public sealed class UploadFolder(string root, long maxBytes)
{
    private readonly string _root = Path.GetFullPath(root) + Path.DirectorySeparatorChar;
    private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _folders = new(StringComparer.Ordinal);
    private long _bytes;

    /// <summary>Writes one uploaded file (a zip is expanded in place, checked entry by entry).</summary>
    public async Task AddAsync(string name, Stream content, CancellationToken cancellationToken)
    {
        var relative = CheckName(name, $"file '{name}'");
        if (Path.GetExtension(relative).Equals(".zip", StringComparison.OrdinalIgnoreCase))
        {
            // The archive goes to a hidden file (ingestion skips hidden files) so its entries can be read by seeking.
            var archivePath = Path.Combine(_root, $".upload-{Guid.NewGuid():N}.zip");
            try
            {
                await using (var archiveFile = File.Create(archivePath))
                {
                    await content.CopyToAsync(archiveFile, cancellationToken).ConfigureAwait(false);
                }

                await ExpandAsync(archivePath, name, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                File.Delete(archivePath);
            }

            return;
        }

        await WriteAsync(relative, $"file '{name}'", content, cancellationToken).ConfigureAwait(false);
    }

    private async Task ExpandAsync(string archivePath, string archiveName, CancellationToken cancellationToken)
    {
        using var archive = ZipFile.OpenRead(archivePath);
        foreach (var entry in archive.Entries.Where(e => !e.FullName.EndsWith('/')))
        {
            var origin = $"file '{archiveName}' entry '{entry.FullName}'";
            var relative = CheckName(entry.FullName, origin);
            if (relative.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            {
                throw new UnsupportedUpload($"{origin}: archives inside archives are not accepted");
            }

            await using var stream = entry.Open();
            await WriteAsync(relative, origin, stream, cancellationToken).ConfigureAwait(false);
        }
    }

    private string CheckName(string name, string origin)
    {
        var normalised = name.Replace('\\', '/');
        var segments = normalised.Split('/');
        if (normalised.Length == 0 || normalised.Length > 512 || normalised.StartsWith('/') || normalised.Contains(':', StringComparison.Ordinal)
            || segments.Any(s => s is "" or "." or "..") || normalised.Any(char.IsControl))
        {
            throw new InvalidDataException($"{origin}: '{name}' is not a plain relative path");
        }

        if (segments.FirstOrDefault(s => s.StartsWith('.')) is { } hidden)
        {
            throw new InvalidDataException($"{origin}: '{hidden}' starts with '.', which names a hidden file or folder (a file needs a name before its extension)");
        }

        if (!ServerLimits.UploadExtensions.Contains(Path.GetExtension(normalised).ToLowerInvariant()))
        {
            throw new UnsupportedUpload($"{origin}: only {string.Join(", ", ServerLimits.UploadExtensions)} files are accepted");
        }

        var target = Path.GetFullPath(Path.Combine(_root, normalised));
        if (!target.StartsWith(_root, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{origin}: points outside the upload (zip-slip)");
        }

        if (_files.TryGetValue(normalised, out var earlier) || _folders.TryGetValue(normalised, out earlier))
        {
            throw new InvalidDataException($"{origin}: '{normalised}' is also given by {earlier}; every name in an upload must be unique");
        }

        for (var i = 1; i < segments.Length; i++)
        {
            var folder = string.Join('/', segments[..i]);
            if (_files.TryGetValue(folder, out var file))
            {
                throw new InvalidDataException($"{origin}: '{normalised}' would put a file inside '{folder}', which is a file ({file})");
            }
        }

        for (var i = 1; i < segments.Length; i++)
        {
            _folders.TryAdd(string.Join('/', segments[..i]), origin);
        }

        _files[normalised] = origin;
        return normalised;
    }

    private async Task WriteAsync(string relative, string origin, Stream content, CancellationToken cancellationToken)
    {
        var target = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write);
        var buffer = new byte[81920];
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            _bytes += read;
            if (_bytes > maxBytes)
            {
                throw new UploadTooLarge($"{origin}: the upload expands beyond {maxBytes} bytes");
            }

            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>An upload of a type the server does not ingest (answered 415).</summary>
public sealed class UnsupportedUpload(string message) : SiftException(message);

/// <summary>An upload larger than allowed once expanded (answered 413).</summary>
public sealed class UploadTooLarge(string message) : SiftException(message);
