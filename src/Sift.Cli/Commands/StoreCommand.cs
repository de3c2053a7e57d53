using System.CommandLine;
using Sift.Cli.Output;
using Sift.Composition;
using Sift.Core;
using Sift.Core.Storage;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary><c>sift store migrate</c>: copy collections between an embedded store and a PostgreSQL one, either way.</summary>
internal static class StoreCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "The store to copy from: a folder, or postgres://user@host:5432/db", Required = true };
        var to = new Option<string>("--to") { Description = "The store to copy into (a folder, or postgres://...); its collections of the same names must not exist", Required = true };
        var collections = new Option<string[]>("--collection", "-c") { Description = "Copy only these collections (repeat); all by default", AllowMultipleArgumentsPerToken = true };
        var migrate = new Command("migrate", "Copy collections (documents, chunks, vectors as stored, settings) to another store, then verify counts and checksums; a copy that does not verify is removed") { from, to, collections };
        migrate.SetAction(result =>
        {
            var json = result.GetValue(CommonOptions.Json);
            using var source = SiftStores.Open(StoreLocation.Resolve(result.GetValue(from)), CommonOptions.Analyzer);
            using var target = SiftStores.Open(StoreLocation.Resolve(result.GetValue(to)), CommonOptions.Analyzer);
            var copied = StoreMigration.Copy(source, target, result.GetValue(collections) ?? [], json ? null : new InlineProgress<string>(name => AnsiConsole.MarkupLineInterpolated($"copying [bold]{name}[/] ...")));
            if (json)
            {
                JsonOutput.Write(new { from = source.Location, to = target.Location, collections = copied });
                return 0;
            }

            var table = new Table().Title($"{source.Location} -> {target.Location}").AddColumns("collection", "documents", "chunks", "vectors", "checksum (both sides)");
            foreach (var collection in copied)
            {
                table.AddRow(Markup.Escape(collection.Name), collection.Documents.ToString("N0"), collection.Chunks.ToString("N0"), collection.Vectors.ToString("N0"), collection.Checksum[..16]);
            }

            AnsiConsole.Write(table);
            return 0;
        });
        return new Command("store", "Move collections between stores") { migrate };
    }
}
