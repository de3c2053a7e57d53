using System.CommandLine;
using Sift.Cli.Output;
using Sift.Composition;
using Sift.Core;
using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Index.Storage;
using Sift.Ingest;
using Sift.Ingest.Chunking;
using Sift.Ingest.Loading;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary><c>sift ingest PATH --collection NAME</c>: load, chunk and index files, incrementally.</summary>
internal static class IngestCommand
{
    private const long LargeHeapBytes = 128L << 20;

    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A file or a folder (searched recursively) of .txt, .md, .rst, .html, .pdf, .docx, .csv, .tsv, source code (.cs .py .js .ts .java .go .rs .c .h .cpp .rb .sh ...) or BEIR .jsonl" };
        var collection = CommonOptions.Collection();
        var chunker = new Option<string>("--chunker") { Description = "recursive | fixed | document", DefaultValueFactory = _ => "recursive" };
        chunker.AcceptOnlyFromAmong([.. ChunkerFactory.Names]);
        var size = new Option<int>("--chunk-size") { Description = "Chunk size in words", DefaultValueFactory = _ => ChunkerFactory.DefaultSize };
        var overlap = new Option<int>("--chunk-overlap") { Description = "Words shared by consecutive fixed windows", DefaultValueFactory = _ => ChunkerFactory.DefaultOverlap };
        var prune = new Option<bool>("--prune") { Description = "Remove documents from under PATH whose files are gone" };
        var skipBad = new Option<bool>("--skip-bad") { Description = "Exit 0 even when some files or records failed (they are still listed)" };
        var strict = new Option<bool>("--strict") { Description = "Stop at the first file or record that fails (default: ingest the rest, list every failure, exit 1)" };
        var meta = new Option<string[]>("--meta") { Description = "key=value metadata added to every document (usable in --filter)" };
        var acl = new Option<string[]>("--acl") { Description = "Only callers holding one of these principals may see the documents, e.g. group:finance user:alice (repeat; default: everyone who can read the collection)" };
        var embedder = EmbedderSpecs.Option();
        var to = VersionsCommand.ToOption();

        var command = new Command("ingest", "Add files to a collection; unchanged files are skipped, changed ones replaced")
        {
            path, collection, chunker, size, overlap, prune, skipBad, strict, meta, acl, embedder, to,
        };
        command.Validators.Add(parsed =>
        {
            if (parsed.GetValue(skipBad) && parsed.GetValue(strict))
            {
                parsed.AddError("--skip-bad and --strict contradict each other: choose one");
            }
        });
        command.SetAction(async (result, cancellation) =>
        {
            var json = result.GetValue(CommonOptions.Json);
            var chunk = ChunkerFactory.Create(result.GetValue(chunker)!, result.GetValue(size), result.GetValue(overlap));
            var chunkerGiven = new Option[] { chunker, size, overlap }.Any(o => result.GetResult(o) is { Implicit: false });
            var request = new IngestRequest(
                result.GetValue(path)!,
                SkipBad: !result.GetValue(strict),
                result.GetValue(prune),
                ParseMetadata(result.GetValue(meta), result.GetValue(acl)));
            if (!File.Exists(request.Path) && !Directory.Exists(request.Path))
            {
                throw new SiftException($"path not found: {request.Path}");
            }

            if (result.GetValue(to) is { } alias)
            {
                VersionAliases.Validate(alias); // before anything is written
            }

            var store = CommonOptions.OpenStore(result);
            var name = result.GetValue(collection)!;
            var isNew = !store.Exists(name);
            IngestSummary summary;
            RecordedVersion? recorded = null;
            using (var target = store.OpenOrCreate(name))
            {
                try
                {
                    chunk = ChunkerFor(target, chunk, chunkerGiven);
                    SiftStores.BindEmbedder(target, result.GetValue(embedder));
                    summary = await RunAsync(target, chunk, request with { IdRoots = target.SourceRoots }, showProgress: !json, cancellation);
                    if (Directory.Exists(request.Path))
                    {
                        target.AddSourceRoot(Sift.Core.Documents.SourcePaths.Canonical(request.Path));
                    }

                    if (summary.Added + summary.Updated + summary.Unchanged + summary.Removed + summary.Skipped == 0)
                    {
                        var notes = summary.Notices is { Count: > 0 } notices ? $" ({string.Join("; ", notices)})" : "";
                        throw new SiftException($"nothing to ingest from {request.Path}: no readable file of a supported type{notes}");
                    }

                    recorded = VersionsCommand.Record(result, target, "ingest", request.Path, result.GetValue(to));
                    summary = summary with { Version = recorded?.Version.Id };
                }
                catch when (isNew)
                {
                    // A failed first ingest (a bad embedder, an unreadable path) leaves no empty collection behind.
                    target.Dispose();
                    store.Delete(name);
                    throw;
                }
            }

            if (json)
            {
                JsonOutput.Write(new { collection = name, summary });
            }
            else
            {
                Render(name, summary, VersionsCommand.Made(recorded));
            }

            if (summary.Skipped > 0 && !result.GetValue(skipBad))
            {
                Console.Error.WriteLine($"error: {summary.Skipped} file(s) or record(s) failed (listed above); the rest was ingested. --skip-bad exits 0 in this case, --strict stops at the first");
                return SiftCli.UserError;
            }

            return 0;
        });
        return command;
    }

    /// <summary>
    /// The chunker to use: the one the collection recorded, unless chunking options were given, which must then agree
    /// with it (chunks from two chunkers in one collection would be compared as if alike).
    /// </summary>
    private static IChunker ChunkerFor(IChunkStore collection, IChunker requested, bool given)
    {
        var recorded = collection.ChunkerFingerprint;
        if (recorded.Length == 0 || recorded == requested.Fingerprint)
        {
            return requested;
        }

        return given
            ? throw new SiftException($"collection '{collection.Name}' was chunked with {recorded}, not {requested.Fingerprint}: ingest into a new collection to use another chunker (or leave out --chunker, --chunk-size and --chunk-overlap to use the recorded one)")
            : ChunkerFactory.FromFingerprint(recorded);
    }

    /// <summary>Runs an ingest (files, chunks, the collection's embedder, the store) with a progress bar when a person is watching.</summary>
    /// <returns>The summary, its time being the wall time of the whole run, index updates included.</returns>
    public static async Task<IngestSummary> RunAsync(IChunkStore collection, IChunker chunker, IngestRequest request, bool showProgress, CancellationToken cancellationToken)
    {
        var wall = System.Diagnostics.Stopwatch.StartNew();
        var pipeline = new IngestPipeline(LoaderRegistry.Default, chunker, collection, collection.Embedder, GuardrailDetectors.IngestScreen(collection.Settings.Guardrails));
        IngestSummary summary;
        if (showProgress && !Console.IsOutputRedirected)
        {
            summary = await AnsiConsole.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask($"ingest into {Markup.Escape(collection.Name)}");
                    return await pipeline.RunAsync(request, new InlineProgress<IngestProgress>(p =>
                    {
                        task.MaxValue = Math.Max(1, p.FilesTotal);
                        task.Value = p.FilesDone;
                        task.Description = p.ChunksEmbedded > 0
                            ? $"ingest into {Markup.Escape(collection.Name)} ({p.ChunksEmbedded:N0} chunks embedded)"
                            : $"ingest into {Markup.Escape(collection.Name)}";
                    }), cancellationToken);
                });
        }
        else
        {
            summary = await pipeline.RunAsync(request, cancellationToken: cancellationToken);
        }

        // The run's documents and chunks are garbage now, but a large file's sit on the large-object heap until a full
        // collection: collect them before the index build allocates, so the two peaks do not add up.
        if (GC.GetTotalMemory(forceFullCollection: false) > LargeHeapBytes)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }

        collection.FinishIngest(chunker.Fingerprint);
        return summary with { Elapsed = wall.Elapsed };
    }

    public static void Render(string collection, IngestSummary summary, string versionNote = "")
    {
        AnsiConsole.MarkupLineInterpolated(
            $"[green]ingested[/] {summary.Files} file(s) into [bold]{collection}[/] in {summary.Elapsed.TotalSeconds:0.00}s: {summary.Added} added, {summary.Updated} updated, {summary.Unchanged} unchanged, {summary.Removed} removed, {summary.Chunks} chunks written{versionNote}");
        foreach (var notice in summary.Notices ?? [])
        {
            AnsiConsole.MarkupLineInterpolated($"[grey]note:[/] {notice}");
        }

        if (summary.Skipped > 0)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]{summary.Skipped} file(s) or record(s) failed and were left out:[/]");
            foreach (var problem in summary.Problems.Take(10))
            {
                AnsiConsole.MarkupLineInterpolated($"  {problem}");
            }

            if (summary.Problems.Count > 10)
            {
                AnsiConsole.MarkupLineInterpolated($"  ... and {summary.Problems.Count - 10} more");
            }
        }
    }

    private static Dictionary<string, string> ParseMetadata(string[]? pairs, string[]? acl)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs ?? [])
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new SiftException($"--meta '{pair}' is not of the form key=value");
            }

            metadata[pair[..equals]] = pair[(equals + 1)..];
        }

        if (metadata.ContainsKey(AccessScope.MetadataKey))
        {
            throw new SiftException($"'{AccessScope.MetadataKey}' is reserved for access lists: use --acl");
        }

        if (metadata.Keys.FirstOrDefault(IChunkScreen.IsReserved) is { } flag)
        {
            throw new SiftException($"--meta '{flag}': keys starting '{IChunkScreen.MetadataPrefix}' are reserved for the guardrails' flags");
        }

        if (acl is { Length: > 0 })
        {
            metadata[AccessScope.MetadataKey] = AccessScope.Encode(acl);
        }

        return metadata;
    }
}
