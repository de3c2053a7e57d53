using System.CommandLine;
using Sift.Cli.Output;
using Sift.Index.Storage;
using Sift.Server.Auth;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary><c>sift keys create|list|revoke</c>: API keys for <c>sift serve</c>.</summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name") { Description = "Who or what the key is for", Required = true };
        var scopes = new Option<string[]>("--scopes") { Description = "read | ingest | admin (repeat or list)", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [Scopes.Read] };
        var collections = new Option<string[]>("--collections") { Description = "Collections the key may use, or * for all", AllowMultipleArgumentsPerToken = true, Required = true };
        var groups = new Option<string[]>("--groups") { Description = "Principals for document access lists, e.g. group:finance user:alice", AllowMultipleArgumentsPerToken = true };
        var create = new Command("create", "Create a key; it is printed once and only its hash is stored") { name, scopes, collections, groups };
        create.SetAction(result =>
        {
            var (key, secret) = Store(result).Create(result.GetValue(name)!, result.GetValue(scopes)!, result.GetValue(collections)!, result.GetValue(groups) ?? []);
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(new { key.Id, key.Name, key.Scopes, key.Collections, key.Groups, secret });
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated($"key [bold]{key.Id}[/] ({key.Name}): {secret}");
                AnsiConsole.MarkupLine("[grey]store it now: it is not shown again[/]");
            }

            return 0;
        });

        var list = new Command("list", "List keys (never their secrets)");
        list.SetAction(result =>
        {
            var keys = Store(result).List();
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(keys);
                return 0;
            }

            var table = new Table().AddColumns("id", "name", "scopes", "collections", "groups", "created", "revoked");
            foreach (var key in keys)
            {
                table.AddRow(key.Id, Markup.Escape(key.Name), string.Join(' ', key.Scopes), Markup.Escape(string.Join(' ', key.Collections)), Markup.Escape(string.Join(' ', key.Groups)), key.Created.ToString("u"), key.Revoked?.ToString("u") ?? "");
            }

            AnsiConsole.Write(table);
            return 0;
        });

        var id = new Argument<string>("id") { Description = "The key id (sift keys list)" };
        var revoke = new Command("revoke", "Revoke a key; requests with it fail from then on") { id };
        revoke.SetAction(result =>
        {
            Store(result).Revoke(result.GetValue(id)!);
            AnsiConsole.MarkupLine("revoked");
            return 0;
        });

        return new Command("keys", "API keys for sift serve") { create, list, revoke };
    }

    /// <summary>The keys every server on the store accepts: in the PostgreSQL store's database, else in the local folder.</summary>
    private static ApiKeyStore Store(ParseResult result) =>
        new(CommonOptions.HomeFolder(result), Core.Storage.StoreLocation.Resolve(result.GetValue(CommonOptions.Store)) is { IsPostgres: true } location ? location.Value : null);
}
