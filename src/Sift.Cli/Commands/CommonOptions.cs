using System.CommandLine;
using Sift.Core.Filtering;
using Sift.Index.Analysis;
using Sift.Index.Storage;

namespace Sift.Cli.Commands;

/// <summary>Options shared by every command, and the objects they resolve to.</summary>
internal static class CommonOptions
{
    public static readonly Option<string?> Store = new("--store")
    {
        Description = "Store folder holding the collections (default: $SIFT_HOME, else the per-user data folder)",
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
    public static CollectionStore OpenStore(ParseResult result) =>
        new(CollectionStore.ResolveRoot(result.GetValue(Store)), Analyzer, message => Console.Error.WriteLine($"warning: {message}"));

    public static MetadataFilter? ParseFilter(string[]? expressions) =>
        expressions is { Length: > 0 } ? MetadataFilter.Parse(expressions) : null;
}
