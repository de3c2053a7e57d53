using Sift.Core;
using Sift.Core.Stages;

namespace Sift.Ingest.Chunking;

/// <summary>Builds a chunker from its command-line name and size settings.</summary>
public static class ChunkerFactory
{
    public const int DefaultSize = 200;
    public const int DefaultOverlap = 40;

    public static IReadOnlyList<string> Names { get; } = ["recursive", "fixed", "document"];

    public static IChunker Create(string name, int size = DefaultSize, int overlap = DefaultOverlap) =>
        name.ToLowerInvariant() switch
        {
            "recursive" => new RecursiveChunker(size),
            "fixed" => new FixedTokenChunker(size, overlap),
            "document" => new WholeDocumentChunker(),
            _ => throw new SiftException($"unknown chunker '{name}' (choose one of: {string.Join(", ", Names)})"),
        };
}
