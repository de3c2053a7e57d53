using System.CommandLine;
using Sift.Cli.Output;
using Sift.Composition;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Index.Storage;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary><c>sift collections list|info|delete|rebuild|configure|check|repair</c>.</summary>
internal static class CollectionsCommand
{
    public static Command Create()
    {
        var list = new Command("list", "List the collections in the store");
        list.SetAction(result =>
        {
            var store = CommonOptions.OpenStore(result);
            var infos = store.List().Select(name =>
            {
                using var collection = store.Open(name);
                return collection.Info();
            }).ToList();
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(new { store = store.Location, collections = infos });
                return 0;
            }

            if (infos.Count == 0)
            {
                AnsiConsole.MarkupLineInterpolated($"no collections in {store.Location}");
                return 0;
            }

            var table = new Table().AddColumns("collection", "documents", "chunks", "size", "updated");
            foreach (var info in infos)
            {
                table.AddRow(
                    Markup.Escape(info.Name), info.Documents.ToString("N0"), info.Chunks.ToString("N0"),
                    $"{info.SizeBytes / 1024.0 / 1024.0:0.0} MB", Markup.Escape(info.UpdatedAt));
            }

            AnsiConsole.Write(table);
            return 0;
        });

        var infoName = new Argument<string>("name") { Description = "Collection name" };
        var info = new Command("info", "Show a collection's size, settings and history") { infoName };
        info.SetAction(result =>
        {
            using var collection = CommonOptions.OpenStore(result).Open(result.GetValue(infoName)!);
            var details = collection.Info();
            var settings = collection.Settings;
            if (result.GetValue(CommonOptions.Json))
            {
                // The ranker is a model (tens of KiB): described, not dumped.
                JsonOutput.Write(new { collection = details, settings = settings with { Ranker = settings.Ranker is null ? null : LearnedRankers.Describe(settings.Ranker) } });
                return 0;
            }

            var grid = new Grid().AddColumns(2);
            (string Key, string Value)[] rows =
            [
                ("name", details.Name), ("location", details.Location), ("documents", details.Documents.ToString("N0")),
                ("chunks", details.Chunks.ToString("N0")), ("chunker", details.Chunker), ("analyzer", details.Analyzer),
                ("embedder", details.Embedder.Length == 0 ? "(none yet)" : $"{details.Embedder} (--embedder {details.EmbedderSpec})"),
                .. SettingsRows(settings),
                ("generation", details.Generation.ToString("N0")), ("size", $"{details.SizeBytes / 1024.0 / 1024.0:0.00} MB"),
                ("created", details.CreatedAt), ("updated", details.UpdatedAt),
            ];
            foreach (var (key, value) in rows)
            {
                grid.AddRow(new Markup($"[bold]{key}[/]"), new Text(value));
            }

            AnsiConsole.Write(grid);
            return 0;
        });

        var deleteName = new Argument<string>("name") { Description = "Collection name" };
        var delete = new Command("delete", "Delete a collection and all its data") { deleteName };
        delete.SetAction(result =>
        {
            var name = result.GetValue(deleteName)!;
            CommonOptions.OpenStore(result).Delete(name);
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(new { deleted = name });
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated($"deleted collection [bold]{name}[/]");
            }

            return 0;
        });

        var rebuildName = new Argument<string>("name") { Description = "Collection name" };
        var rebuild = new Command("rebuild", "Rebuild the index files: lexical from the stored terms, vector from the stored vectors (after damage or a crash)") { rebuildName };
        rebuild.SetAction(result =>
        {
            using var collection = CommonOptions.OpenEmbeddedStore(result, "collections rebuild").Open(result.GetValue(rebuildName)!);
            SiftStores.BindEmbedder(collection, requested: null);
            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            var (chunks, vectors) = collection.RebuildIndexFiles();
            var rebuilt = new { collection = collection.Name, chunks, vectors, seconds = stopwatch.Elapsed.TotalSeconds };
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(rebuilt);
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated($"rebuilt the indexes of [bold]{collection.Name}[/]: {chunks:N0} chunks, {vectors:N0} vectors in {rebuilt.seconds:0.00}s");
            }

            return 0;
        });

        var configureName = new Argument<string>("name") { Description = "Collection name" };
        var mode = new Option<string?>("--mode") { Description = "Default retrieval mode for this collection: bm25 | dense | hybrid" };
        var fusion = new Option<string?>("--fusion") { Description = "Default hybrid fusion: rrf | weighted" };
        var denseWeight = new Option<double?>("--dense-weight") { Description = "Default weight of the dense ranking in hybrid fusion, 0..1" };
        var fusionDepth = new Option<int?>("--fusion-depth") { Description = "Default candidates each ranking gives hybrid fusion (the pool), 1..10000" };
        var expand = new Option<string?>("--expand") { Description = "Default expansion of BM25 queries: none | rm3 (pseudo-relevance feedback; a learned ranker then stays off)" };
        expand.AcceptOnlyFromAmong([.. Retrieval.RetrievalSettings.Expansions]);
        var injection = new Option<string?>("--injection") { Description = "What a prompt-injection flag does: off | flag (recorded) | block (kept from the model; default)" };
        injection.AcceptOnlyFromAmong([.. GuardrailPolicy.InjectionNames]);
        var pii = new Option<string?>("--pii") { Description = "What personal data found in questions, chunks and answers does: off | flag (recorded; default) | redact (replaced by its type)" };
        pii.AcceptOnlyFromAmong([.. GuardrailPolicy.PiiNames]);
        var m = new Option<int?>("--hnsw-m") { Description = "HNSW neighbours per node (rebuilds the vector index)" };
        var efConstruction = new Option<int?>("--ef-construction") { Description = "HNSW build candidate list (rebuilds the vector index)" };
        var efSearch = new Option<int?>("--ef-search") { Description = "HNSW search candidate list" };
        var quantize = new Option<bool?>("--quantize") { Description = "int8 vectors with float rescoring (rebuilds the vector index)" };
        var ingestTo = new Option<string?>("--ingest-to") { Description = "The alias an ingest moves to the version it makes when it names none with --to (default prod; e.g. candidate, for promotion through a gate)" };
        var configure = new Command("configure", "Set a collection's retrieval defaults and vector index settings") { configureName, mode, fusion, denseWeight, fusionDepth, expand, injection, pii, m, efConstruction, efSearch, quantize, ingestTo };
        configure.SetAction(result =>
        {
            using var collection = CommonOptions.OpenStore(result).Open(result.GetValue(configureName)!);
            var current = collection.Settings;
            // Settings not named keep their values (the learned ranker among them).
            var updated = current with
            {
                Mode = result.GetValue(mode) ?? current.Mode,
                Fusion = result.GetValue(fusion) ?? current.Fusion,
                DenseWeight = result.GetValue(denseWeight) ?? current.DenseWeight,
                FusionDepth = result.GetValue(fusionDepth) ?? current.FusionDepth,
                Expansion = result.GetValue(expand) ?? current.Expansion,
                Injection = result.GetValue(injection) ?? current.Injection,
                Pii = result.GetValue(pii) ?? current.Pii,
                M = result.GetValue(m) ?? current.M,
                EfConstruction = result.GetValue(efConstruction) ?? current.EfConstruction,
                EfSearch = result.GetValue(efSearch) ?? current.EfSearch,
                Quantize = result.GetValue(quantize) ?? current.Quantize,
                IngestAlias = result.GetValue(ingestTo) ?? current.IngestAlias,
            };
            collection.Configure(updated);
            if (updated.Ranker is not null && RankerIdle(updated) is { } idle)
            {
                Console.Error.WriteLine($"note: the learned ranker reranks plain BM25 only, so with {idle} searches skip it (--mode bm25 --expand none uses it again)");
            }
            var recorded = VersionsCommand.Record(result, collection, "settings", string.Join("; ", SettingsRows(updated).Select(r => $"{r.Key} {r.Value}")), to: null);
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(updated);
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated($"[bold]{collection.Name}[/]: {string.Join("; ", SettingsRows(updated).Select(r => $"{r.Key} {r.Value}"))}{VersionsCommand.Made(recorded)}");
            }

            return 0;
        });

        return new Command("collections", "Manage collections")
        {
            list, info, delete, rebuild, configure, CollectionIntegrityCommands.Check(), CollectionIntegrityCommands.Repair(),
        };
    }

    /// <summary>Why a collection's default retrieval skips its learned ranker (trained on plain BM25), or null when it does not.</summary>
    private static string? RankerIdle(CollectionSettings settings) =>
        settings.Mode is not (null or "bm25") ? $"mode {settings.Mode}" : settings.Expansion == "rm3" ? "expansion rm3" : null;

    /// <summary>A collection's retrieval and index settings as <c>info</c> and <c>configure</c> show them.</summary>
    private static (string Key, string Value)[] SettingsRows(CollectionSettings settings) =>
    [
        ("mode", settings.Mode ?? $"{Retrieval.RetrievalSettings.DefaultMode} (default)"),
        ("expansion", settings.Expansion ?? $"{Retrieval.RetrievalSettings.NoExpansion} (default)"),
        ("fusion", $"{settings.Fusion ?? "rrf (default)"}, dense weight {(settings.DenseWeight is { } weight ? weight.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) : "0.5 (default)")}, pool {(settings.FusionDepth is { } depth ? depth.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{Retrieval.RetrievalSettings.DefaultFusionDepth} (default)")}"),
        ("learned ranker", settings.Ranker is null ? "none" : LearnedRankers.Describe(settings.Ranker) + (RankerIdle(settings) is { } idle ? $" (idle: {idle})" : "")),
        ("guardrails", $"injection {settings.Injection ?? "block (default)"}, PII {settings.Pii ?? "flag (default)"}"),
        ("vector index", $"HNSW m={settings.M}, ef_construction={settings.EfConstruction}, ef_search={settings.EfSearch}{(settings.Quantize ? ", int8" : "")}"),
        ("changes go to", settings.IngestAlias ?? $"{VersionAliases.Production} (default)"),
    ];
}
