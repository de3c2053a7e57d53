using System.CommandLine;
using Microsoft.Extensions.AI;
using Sift.Core.Storage;
using Sift.Models;

namespace Sift.Cli.Commands;

/// <summary>
/// The <c>--embedder</c> option: which model turns chunks and queries into vectors. A collection remembers the one it
/// was built with, so later commands need not repeat it.
/// </summary>
internal static class EmbedderSpecs
{
    public const string Default = EmbedderCatalog.Default;

    public static Option<string?> Option() => new("--embedder") { Description = "Embedding model for new collections: " + EmbedderCatalog.Specs };

    public static IEmbeddingGenerator<string, Embedding<float>>? Create(string spec) => EmbedderCatalog.Create(spec);
}
