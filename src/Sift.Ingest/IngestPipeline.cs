using System.Diagnostics;
using Microsoft.Extensions.AI;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Ingest.Loading;

namespace Sift.Ingest;

/// <param name="Path">A file or a folder (searched recursively).</param>
/// <param name="SkipBad">Skip unreadable files and bad records, counting them, instead of stopping at the first.</param>
/// <param name="Prune">Remove documents that came from under <paramref name="Path"/> but were not found this time.</param>
/// <param name="Metadata">Extra metadata put on every document of this run (for filters).</param>
/// <param name="Writer">
/// Whose write this is, when it is not the store's owner: an existing document this writer may not see is never
/// replaced (it is reported as a taken id, the same report the writer gets for an id taken by a document it wrote
/// for others), so a write reveals and changes nothing hidden from the writer.
/// </param>
/// <param name="Journal">Where a resumable run records what it wrote, so a rerun after a crash counts each document once.</param>
/// <param name="IdRoots">
/// Folders the collection was ingested from before (absolute paths): a file under one of them is named relative to
/// it ("root-name/sub/x.txt"), whichever part of the tree this run was given, so ids do not depend on how a file was
/// named on the command line.
/// </param>
public sealed record IngestRequest(
    string Path,
    bool SkipBad = false,
    bool Prune = false,
    IReadOnlyDictionary<string, string>? Metadata = null,
    string? IdPrefix = null,
    AccessScope? Writer = null,
    IIngestJournal? Journal = null,
    IReadOnlyList<string>? IdRoots = null);

/// <summary>
/// What one ingestion run wrote, kept outside the collection: a run resumed after a crash finds documents its first
/// attempt wrote unchanged, and counts them as that attempt did (added or updated) rather than as unchanged.
/// </summary>
public interface IIngestJournal
{
    /// <summary>Documents recorded so far: true when the run added the document, false when it updated it.</summary>
    IReadOnlyDictionary<string, bool> Recorded { get; }

    /// <summary>Records a batch before it is written (a crash in between only means the rerun writes it again).</summary>
    void Record(IReadOnlyList<(string DocumentId, bool Added)> batch);
}

/// <param name="ChunksEmbedded">Chunks the embedding stage has embedded so far in this run.</param>
public sealed record IngestProgress(int FilesDone, int FilesTotal, string CurrentFile, int ChunksEmbedded = 0);

/// <param name="Skipped">Files and records that failed and were left out (each one in <paramref name="Problems"/>).</param>
/// <param name="Notices">What is not a failure but worth knowing: a legacy encoding assumed, a binary file skipped.</param>
/// <param name="Elapsed">Wall time of the whole run.</param>
/// <param name="Version">The collection version the run made (or left current when nothing changed); null where versions are not kept.</param>
public sealed record IngestSummary(
    int Files,
    int Added,
    int Updated,
    int Unchanged,
    int Removed,
    int Chunks,
    int Skipped,
    IReadOnlyList<string> Problems,
    TimeSpan Elapsed,
    IReadOnlyList<string>? Notices = null,
    long? Version = null);

/// <summary>
/// Files to chunks to vectors to the sink, incrementally: a document whose content (and chunker) is unchanged is not
/// touched, a changed one is replaced whole, and documents are written in batches so large corpora stream through.
/// Embedding is a stage of its own (batched, cancellable, reported as progress) between chunking and the write: stores
/// keep vectors, they never make them.
/// </summary>
/// <param name="embedder">The collection's embedder (bound when it was opened), or null for a collection without vectors.</param>
/// <param name="screen">The collection's guardrails at ingest (flags and redaction), or null for none.</param>
public sealed class IngestPipeline(
    LoaderRegistry loaders, IChunker chunker, IDocumentSink sink, IEmbeddingGenerator<string, Embedding<float>>? embedder = null, IChunkScreen? screen = null)
{
    /// <summary>What stored chunks depend on besides the text: the chunker, and the guardrails that screened them.</summary>
    private readonly string _fingerprint = screen is null ? chunker.Fingerprint : $"{chunker.Fingerprint}|{screen.Fingerprint}";

    private const int BatchDocuments = 256;

    public async Task<IngestSummary> RunAsync(IngestRequest request, IProgress<IngestProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        var root = SourcePaths.Canonical(request.Path);
        var notices = new List<string>();
        var files = SourceFiles.Find(root, loaders, notices);
        var runLoaders = loaders.ForRun(files);
        var existing = sink.ListDocuments();
        // A file already held as one document keeps that document's id, however this run reached it.
        var idBySource = existing.Values.GroupBy(d => d.Source, StringComparer.Ordinal).Where(g => g.Count() == 1)
            .ToDictionary(g => g.Key, g => g.Single().Id, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var problems = new LoadProblems(request.SkipBad);
        var batch = new List<DocumentChunks>();
        var outcomes = new List<(string, bool)>();
        var restamped = new List<(string, string)>();
        var writing = false;
        var recorded = request.Journal?.Recorded ?? new Dictionary<string, bool>();
        int added = 0, updated = 0, unchanged = 0, chunkCount = 0, embedded = 0, current = 0;

        for (var i = 0; i < files.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var file = files[i];
            current = i;
            progress?.Report(new IngestProgress(i, files.Count, file, embedded));
            var loader = runLoaders.For(file)!;
            var documentId = request.IdPrefix is null && idBySource.TryGetValue(file, out var held)
                ? held
                : DocumentIdFor(RootFor(file, root, request.IdRoots), file, request.IdPrefix);
            var stamp = FileStamp(file, request.Metadata);
            // A loader that learned from the whole run (HTML boilerplate) may read an unchanged file differently now.
            var readsAlone = ReferenceEquals(loader, loaders.For(file));
            if (readsAlone && existing.TryGetValue(documentId, out var same) && same.Source == file && same.FileStamp == stamp && !recorded.ContainsKey(documentId)
                && (request.Writer is null || request.Writer.AllowsList(same.Acl)))
            {
                // Same size, modification time, chunker and metadata as when it was written: not even read.
                seen.Add(documentId);
                unchanged++;
                continue;
            }

            try
            {
                foreach (var loaded in loader.Load(file, documentId, problems))
                {
                    var document = Finalise(loaded, request.Metadata);
                    if (!seen.Add(document.Id))
                    {
                        problems.Report($"{file}: duplicate document id '{document.Id}' (the first one is kept)");
                        continue;
                    }

                    existing.TryGetValue(document.Id, out var stored);
                    if (stored is not null && request.Writer is { } writer && !writer.AllowsList(stored.Acl))
                    {
                        problems.Report($"{file}: document id '{document.Id}' is taken: choose another id");
                        continue;
                    }

                    // A document an interrupted attempt of this run already wrote counts as that attempt saw it.
                    var writtenBefore = recorded.TryGetValue(document.Id, out var addedBefore);
                    var isNew = writtenBefore ? addedBefore : stored is null;
                    var isUnchanged = stored is not null && stored.ContentHash == document.ContentHash;
                    if (isUnchanged && !writtenBefore)
                    {
                        unchanged++;
                        if (document.Id == documentId && stored!.FileStamp != stamp)
                        {
                            restamped.Add((document.Id, stamp));
                        }

                        continue;
                    }

                    if (isNew)
                    {
                        added++;
                    }
                    else
                    {
                        updated++;
                    }

                    if (isUnchanged)
                    {
                        continue;
                    }
                    var chunks = chunker.Split(document);
                    if (screen is not null)
                    {
                        var screened = screen.Screen(document.Id, document.Title, chunks);
                        chunks = screened.Chunks;
                        notices.AddRange(screened.Notices);
                        document = document with { Title = screened.Title, Metadata = new Dictionary<string, string>(document.Metadata.Concat(screened.Flags), StringComparer.Ordinal) };
                    }

                    chunkCount += chunks.Count;
                    // The chunks hold the text now; the batch keeps the document's identity only, so a large
                    // file's text is not held twice until its batch is written.
                    batch.Add(new DocumentChunks(document with { Text = "", Sections = [] }, chunks, document.Id == documentId && readsAlone ? stamp : null));
                    outcomes.Add((document.Id, isNew));
                    if (batch.Count >= BatchDocuments)
                    {
                        await WriteBatchAsync().ConfigureAwait(false);
                    }
                }
            }
            catch (Exception ex) when (request.SkipBad && !writing && ex is not (OperationCanceledException or OutOfMemoryException))
            {
                // Any failure of one file (a loader's parser giving up on a crafted file included) fails that file alone.
                problems.Report(ex is SiftException ? ex.Message : $"{file}: {Describe(ex)}");
                seen.UnionWith(existing.Values.Where(d => d.Source == file).Select(d => d.Id));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SiftException($"{file}: cannot read ({ex.Message})", ex);
            }
        }

        if (batch.Count > 0)
        {
            await WriteBatchAsync().ConfigureAwait(false);
        }

        sink.RecordFileStamps(restamped);

        var removed = 0;
        if (request.Prune)
        {
            var gone = existing.Values
                .Where(d => !seen.Contains(d.Id) && SourcePaths.IsUnder(d.Source, root))
                .Select(d => d.Id)
                .ToList();
            sink.Delete(gone);
            removed = gone.Count;
        }

        progress?.Report(new IngestProgress(files.Count, files.Count, "", embedded));
        return new IngestSummary(
            files.Count, added, updated, unchanged, removed, chunkCount, problems.Messages.Count,
            problems.Messages, stopwatch.Elapsed, [.. notices, .. problems.Notices]);

        // A failing embedding or write (a model server down, a full disk, a locked store) is the run's failure, never the current file's.
        async Task WriteBatchAsync()
        {
            writing = true;
            IReadOnlyList<DocumentChunks> written = batch;
            if (embedder is not null)
            {
                var before = embedded;
                written = await embedder.EmbedChunksAsync(
                    batch, new InlineProgress<int>(n => progress?.Report(new IngestProgress(current, files.Count, files[current], embedded = before + n))), cancellationToken).ConfigureAwait(false);
            }

            request.Journal?.Record(outcomes);
            sink.Write(written);
            batch.Clear();
            outcomes.Clear();
            writing = false;
        }

        SourceDocument Finalise(SourceDocument document, IReadOnlyDictionary<string, string>? extra)
        {
            var metadata = new Dictionary<string, string>(document.Metadata, StringComparer.Ordinal);
            foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            {
                metadata[key] = value;
            }

            // Guardrail flags are the screen's to write: a source claiming them (front matter saying "clean") is ignored.
            foreach (var key in metadata.Keys.Where(IChunkScreen.IsReserved).ToList())
            {
                metadata.Remove(key);
            }

            // The chunker's settings and the extra metadata are part of what the stored chunks depend on.
            var hash = ContentHash.Of(document.ContentHash, _fingerprint, MetadataText(metadata));
            return document with { ContentHash = hash, Metadata = metadata };
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        SiftException or IOException or UnauthorizedAccessException => ex.Message,
        _ => $"cannot be read ({ex.Message.Split('\n')[0]})",
    };

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

    /// <summary>
    /// What must be unchanged for a file to be skipped without reading it: its size and modification time, the chunker,
    /// and the metadata this run puts on it.
    /// </summary>
    private string FileStamp(string file, IReadOnlyDictionary<string, string>? metadata)
    {
        var info = new FileInfo(file);
        return ContentHash.Of($"{info.Length}:{info.LastWriteTimeUtc.Ticks}", _fingerprint, MetadataText(metadata ?? new Dictionary<string, string>()));
    }

    /// <summary>Metadata as hashed text, in key order (the same text in content hashes and file stamps).</summary>
    private static string MetadataText(IEnumerable<KeyValuePair<string, string>> metadata) =>
        string.Join(';', metadata.OrderBy(p => p.Key, StringComparer.Ordinal));

    /// <summary>The outermost recorded root holding the file, else the root of this run.</summary>
    private static string RootFor(string file, string runRoot, IReadOnlyList<string>? recorded) =>
        recorded?.Where(r => SourcePaths.IsUnder(file, r) && r != file).OrderBy(r => r.Length).FirstOrDefault() ?? runRoot;
}
