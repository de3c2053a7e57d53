using System.CommandLine;
using Sift.Composition;
using Sift.Core.Filtering;
using Sift.Core.Storage;
using Sift.Index.Analysis;
using Sift.Index.Storage;

namespace Sift.Cli.Commands;

/// <summary>Options shared by every command, and the objects they resolve to.</summary>
internal static class CommonOptions
{
    public static readonly Option<string?> Store = new("--store")
    {
        Description = "Where the collections are: a folder, or postgres://user@host:5432/db (default: $SIFT_STORE, else $SIFT_HOME, else the per-user data folder)",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Write machine-readable JSON to stdout instead of tables",
        Recursive = true,
    };

    public static Option<string> Collection(bool required = true, string? description = null) => new("--collection", "-c")
    {
        Description = description ?? "Collection name",
        Required = required,
    };

    /// <summary>An absolute http(s) URL, refused at parse time with the option's name otherwise.</summary>
    public static Option<Uri?> Url(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = argument =>
        {
            var text = argument.Tokens.Single().Value;
            if (Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
            {
                return url;
            }

            argument.AddError($"{name} '{text}' is not an absolute http(s) URL");
            return null;
        },
    };

    public static Option<string> Dataset() => new("--dataset")
    {
        Description = "BEIR-layout folder: corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv",
        Required = true,
    };

    public static Option<string> Split() => new("--split")
    {
        Description = "Which qrels file (qrels/SPLIT.tsv) chooses the queries",
        DefaultValueFactory = _ => "test",
    };

    public static Option<string[]> Filter() => new("--filter")
    {
        Description = "Metadata condition key=value; repeat a key for any of several values, different keys must all match",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string?> Out(string description) => new("--out")
    {
        Description = description,
    };

    public static EnglishTextAnalyzer Analyzer { get; } = new();

    /// <summary>The store; what its collections repair on their own is told on stderr, apart from the JSON on stdout.</summary>
    public static IStore OpenStore(ParseResult result) =>
        SiftStores.Open(StoreLocation.Resolve(result.GetValue(Store)), Analyzer, message => Console.Error.WriteLine($"warning: {message}"));

    /// <summary>
    /// Opens a collection reference for reading ("name", "name@alias", "name@7"): the version it names, else the one
    /// <c>prod</c> points at, else the working state of a collection without versions.
    /// </summary>
    public static VersionReader OpenForReading(ParseResult result, string reference)
    {
        var (name, version) = VersionAliases.Split(reference);
        var collection = OpenStore(result).Open(name);
        try
        {
            var (target, record) = CollectionVersions.Resolve(collection, version);
            return new VersionReader(collection, target, record);
        }
        catch
        {
            collection.Dispose();
            throw;
        }
    }

    /// <summary>" --store VALUE" when the command was given one, for the follow-up commands it prints (so they reach the same store).</summary>
    public static string StoreHint(ParseResult result) => result.GetValue(Store) is { } store ? $" --store {store}" : "";

    /// <summary>The folder for configuration, prompts, models, keys and the answer log (the store's own folder when it is one).</summary>
    public static string HomeFolder(ParseResult result) => StoreLocation.Resolve(result.GetValue(Store)).HomeFolder;

    /// <summary>The embedded store, for what only it has (integrity check and repair of its files).</summary>
    public static CollectionStore OpenEmbeddedStore(ParseResult result, string command) =>
        OpenStore(result) as CollectionStore
        ?? throw new Core.SiftException($"'{command}' works on an embedded store (a folder); a PostgreSQL store is checked and repaired by PostgreSQL itself");

    public static MetadataFilter? ParseFilter(string[]? expressions) =>
        expressions is { Length: > 0 } ? MetadataFilter.Parse(expressions) : null;
}

/// <summary>A version being read (<see cref="Target"/>) and the collection it belongs to, closed together.</summary>
internal sealed record VersionReader(IChunkStore Collection, IChunkStore Target, VersionRecord? Version) : IDisposable
{
    public void Dispose() => Collection.Dispose();
}
