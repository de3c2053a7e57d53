using System.CommandLine;
using System.Globalization;
using Sift.Cli.Output;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Storage;
using Sift.Index.Storage;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift documents list|show|delete</c>: what a collection holds, one document with its chunks, the text a citation
/// points at (<c>show ID --span A-B</c>, offsets into the document's extracted text as citations give them), and removal.
/// </summary>
internal static class DocumentsCommand
{
    public static Command Create()
    {
        var listCollection = CommonOptions.Collection();
        var filter = CommonOptions.Filter();
        var list = new Command("list", "List a collection's documents (id, title, chunks, type, access list)") { listCollection, filter };
        list.SetAction(result =>
        {
            using var reading = CommonOptions.OpenForReading(result, result.GetValue(listCollection)!);
            var collection = reading.Target;
            var documents = collection.Documents(CommonOptions.ParseFilter(result.GetValue(filter)));
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(new { collection = collection.Name, documents });
                return 0;
            }

            var table = new Table().AddColumns("id", "title", "chunks", "type", "acl", "ingested");
            foreach (var document in documents)
            {
                table.AddRow(
                    Markup.Escape(document.Id), Markup.Escape(document.Title), document.ChunkCount.ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(document.Metadata.GetValueOrDefault("type") ?? ""), Markup.Escape(document.Metadata.GetValueOrDefault(Core.Filtering.AccessScope.MetadataKey) ?? ""),
                    Markup.Escape(document.IngestedAt));
            }

            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"{documents.Count} document(s)");
            return 0;
        });

        var showId = new Argument<string>("id") { Description = "Document id (as search results show it)" };
        var showCollection = CommonOptions.Collection();
        var span = new Option<string?>("--span") { Description = "Print characters A-B of the document's extracted text, e.g. 4907-5194 (the offsets citations give)" };
        var show = new Command("show", "Show a document: its record, metadata and chunks, or the text of a span") { showId, showCollection, span };
        show.SetAction(result =>
        {
            using var reading = CommonOptions.OpenForReading(result, result.GetValue(showCollection)!);
            var collection = reading.Target;
            var id = result.GetValue(showId)!;
            var (document, chunks) = collection.Document(id) ?? throw new SiftException($"collection '{collection.Name}' has no document '{id}' (sift documents list -c {collection.Name})");
            if (result.GetValue(span) is { } text)
            {
                var (start, end) = ParseSpan(text);
                var (cited, holder) = DocumentSpans.TextOf(chunks, start, end) ?? throw new SiftException(
                    $"span {start}-{end} is not inside one chunk of '{id}' (its chunks cover {string.Join(", ", chunks.Select(c => $"{c.Start}-{c.End}"))})");
                if (result.GetValue(CommonOptions.Json))
                {
                    JsonOutput.Write(new { document = id, start, end, holder.HeadingPath, holder.Page, text = cited });
                    return 0;
                }

                var where = Place.Of(holder.HeadingPath, holder.Page);
                AnsiConsole.MarkupLineInterpolated($"[grey]{id}, characters {start}-{end} of the extracted text{(where.Length > 0 ? $", {where}" : "")}[/]");
                Console.Out.WriteLine(cited);
                return 0;
            }

            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(new { document, chunks = chunks.Select(c => new { c.Id, c.Start, c.End, c.HeadingPath, c.Page, c.Text }) });
                return 0;
            }

            var grid = new Grid().AddColumns(2);
            foreach (var (key, value) in new (string, string)[]
            {
                ("id", document.Id), ("title", document.Title), ("source", document.Source), ("chunks", document.ChunkCount.ToString(CultureInfo.InvariantCulture)),
                ("ingested", document.IngestedAt), ("content hash", document.ContentHash),
                ("metadata", string.Join(", ", document.Metadata.Where(m => !IsFlag(m.Key)).OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}={m.Value}"))),
            })
            {
                grid.AddRow(new Markup($"[bold]{key}[/]"), new Text(value));
            }

            // What the guardrails found at ingest, apart from the metadata a source gave it.
            foreach (var (key, value) in document.Metadata.Where(m => IsFlag(m.Key)).OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                grid.AddRow(new Markup($"[bold yellow]{Markup.Escape(key)}[/]"), new Text(value, new Style(Color.Yellow)));
            }

            AnsiConsole.Write(grid);
            foreach (var (chunk, ordinal) in chunks.Select((c, i) => (c, i)))
            {
                var where = string.Join(" > ", chunk.HeadingPath) + (chunk.Page is { } page ? $" (page {page})" : "");
                var preview = chunk.Text.Length > 100 ? chunk.Text[..100] + "…" : chunk.Text;
                AnsiConsole.MarkupLineInterpolated($"[bold]#{ordinal}[/] [grey]{chunk.Start}-{chunk.End} {where}[/] {preview.ReplaceLineEndings(" ")}");
            }

            return 0;
        });

        static bool IsFlag(string key) => key.StartsWith(Core.Stages.IChunkScreen.MetadataPrefix, StringComparison.Ordinal);

        var deleteIds = new Argument<string[]>("ids") { Description = "Document ids", Arity = ArgumentArity.OneOrMore };
        var deleteCollection = CommonOptions.Collection();
        var deleteTo = VersionsCommand.ToOption();
        var delete = new Command("delete", "Delete documents (all of them, or none when an id is unknown)") { deleteIds, deleteCollection, deleteTo };
        delete.SetAction(result =>
        {
            using var collection = CommonOptions.OpenStore(result).Open(result.GetValue(deleteCollection)!);
            if (result.GetValue(deleteTo) is { } alias)
            {
                VersionAliases.Validate(alias); // before anything is deleted
            }

            var ids = result.GetValue(deleteIds)!.Distinct(StringComparer.Ordinal).ToList();
            var known = collection.ListDocuments();
            var unknown = ids.Where(id => !known.ContainsKey(id)).ToList();
            if (unknown.Count > 0)
            {
                throw new SiftException($"collection '{collection.Name}' has no document {string.Join(", ", unknown.Select(u => $"'{u}'"))}; nothing was deleted");
            }

            collection.Delete(ids);
            collection.RefreshIndexes();
            var version = VersionsCommand.Record(result, collection, "delete", string.Join(", ", ids), result.GetValue(deleteTo));
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(new { collection = collection.Name, deleted = ids, version = version?.Version.Id });
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated($"deleted {ids.Count} document(s) from {collection.Name}{VersionsCommand.Made(version)}");
            }

            return 0;
        });

        return new Command("documents", "List, show and delete the documents of a collection") { list, show, delete };
    }

    private static (int Start, int End) ParseSpan(string text)
    {
        var parts = text.Split('-');
        return parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var start) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var end) && start >= 0 && end > start
            ? (start, end)
            : throw new SiftException($"--span '{text}' is not of the form START-END with START < END (e.g. 4907-5194)");
    }
}
