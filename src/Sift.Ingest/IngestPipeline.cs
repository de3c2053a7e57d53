using System.Diagnostics;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Ingest.Loading;

namespace Sift.Ingest;

/// <param name="Path">A file or a folder (searched recursively).</param>
/// <param name="SkipBad">Skip unreadable files and bad records, counting them, instead of stopping at the first.</param>
/// <param name="Prune">Remove documents that came from under <paramref name="Path"/> but were not found this time.</param>
/// <param name="Metadata">Extra metadata put on every document of this run (for filters).</param>
public sealed record IngestRequest(
    string Path,
    bool SkipBad = false,
    bool Prune = false,
    IReadOnlyDictionary<string, string>? Metadata = null,
    string? IdPrefix = null);

public sealed record IngestProgress(int FilesDone, int FilesTotal, string CurrentFile);

public sealed record IngestSummary(
    int Files,
    int Added,
    int Updated,
    int Unchanged,
    int Removed,
    int Chunks,
    int Skipped,
    IReadOnlyList<string> Problems,
    TimeSpan Elapsed);

/// <summary>
/// Files to chunks to the sink, incrementally: a document whose content (and chunker) is unchanged is not touched,
/// a changed one is replaced whole, and documents are written in batches so large corpora stream through.
/// </summary>
public sealed class IngestPipeline(LoaderRegistry loaders, IChunker chunker, IDocumentSink sink)
{
    private const int BatchDocuments = 256;

    public IngestSummary Run(IngestRequest request, IProgress<IngestProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        var root = System.IO.Path.GetFullPath(request.Path);
        var files = FindFiles(root);
        var existing = sink.ListDocuments();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var problems = new LoadProblems(request.SkipBad);
        var batch = new List<DocumentChunks>();
        int added = 0, updated = 0, unchanged = 0, chunkCount = 0, skippedFiles = 0;

        for (var i = 0; i < files.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var file = files[i];
            progress?.Report(new IngestProgress(i, files.Count, file));
            var loader = loaders.For(file)!;
            var documentId = DocumentIdFor(root, file, request.IdPrefix);
            try
            {
                foreach (var loaded in loader.Load(file, documentId, problems))
                {
                    var document = Finalise(loaded, request.Metadata);
                    if (!seen.Add(document.Id))
                    {
                        problems.Report($"{file}: duplicate document id '{document.Id}' (the later one wins)");
                    }

                    if (existing.TryGetValue(document.Id, out var stored) && stored.ContentHash == document.ContentHash)
                    {
                        unchanged++;
                        continue;
                    }

                    if (stored is null)
                    {
                        added++;
                    }
                    else
                    {
                        updated++;
                    }

                    var chunks = chunker.Split(document);
                    chunkCount += chunks.Count;
                    batch.Add(new DocumentChunks(document, chunks));
                    if (batch.Count >= BatchDocuments)
                    {
                        sink.Write(batch);
                        batch.Clear();
                    }
                }
            }
            catch (Exception ex) when (request.SkipBad && ex is SiftException or IOException or UnauthorizedAccessException)
            {
                skippedFiles++;
                problems.Report(ex is SiftException ? ex.Message : $"{file}: {ex.Message}");
                seen.UnionWith(existing.Values.Where(d => d.Source == file).Select(d => d.Id));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SiftException($"{file}: cannot read ({ex.Message})", ex);
            }
        }

        if (batch.Count > 0)
        {
            sink.Write(batch);
        }

        var removed = 0;
        if (request.Prune)
        {
            var gone = existing.Values
                .Where(d => !seen.Contains(d.Id) && IsUnder(d.Source, root))
                .Select(d => d.Id)
                .ToList();
            sink.Delete(gone);
            removed = gone.Count;
        }

        progress?.Report(new IngestProgress(files.Count, files.Count, ""));
        return new IngestSummary(
            files.Count, added, updated, unchanged, removed, chunkCount, problems.Messages.Count,
            problems.Messages, stopwatch.Elapsed);

        SourceDocument Finalise(SourceDocument document, IReadOnlyDictionary<string, string>? extra)
        {
            var metadata = new Dictionary<string, string>(document.Metadata, StringComparer.Ordinal);
            foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            {
                metadata[key] = value;
            }

            // The chunker's settings and the extra metadata are part of what the stored chunks depend on.
            var hash = ContentHash.Of(document.ContentHash, chunker.Fingerprint, string.Join(';', metadata.OrderBy(p => p.Key, StringComparer.Ordinal)));
            return document with { ContentHash = hash, Metadata = metadata };
        }
    }

    private List<string> FindFiles(string root)
    {
        if (File.Exists(root))
        {
            return loaders.For(root) is null
                ? throw new SiftException($"{root}: unsupported file type (supported: {string.Join(", ", loaders.Extensions)})")
                : [root];
        }

        if (!Directory.Exists(root))
        {
            throw new SiftException($"path not found: {root}");
        }

        return Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden })
            .Where(f => loaders.For(f) is not null)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The root folder's name plus the path below it ("docs/guide/intro.md"), or the file name for one file.</summary>
    /// <summary>"root-folder-name/relative/path", or <paramref name="prefix"/> + the relative path when one is given.</summary>
    private static string DocumentIdFor(string root, string file, string? prefix)
    {
        if (file == root)
        {
            return (prefix ?? "") + System.IO.Path.GetFileName(file);
        }

        var relative = System.IO.Path.GetRelativePath(root, file).Replace('\\', '/');
        return prefix is not null ? prefix + relative : $"{System.IO.Path.GetFileName(root.TrimEnd(System.IO.Path.DirectorySeparatorChar))}/{relative}";
    }

    private static bool IsUnder(string source, string root) =>
        source == root || source.StartsWith(root.TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
