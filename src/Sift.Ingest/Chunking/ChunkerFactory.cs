using System.Globalization;
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

    /// <summary>
    /// The chunker a collection records it was written with (its fingerprint, e.g. "fixed(size=200,overlap=40)"), so
    /// later additions are chunked the same way; the default chunker for a collection that records none.
    /// </summary>
    public static IChunker FromFingerprint(string fingerprint)
    {
        if (fingerprint.Length == 0)
        {
            return Create(Names[0]);
        }

        var open = fingerprint.IndexOf('(', StringComparison.Ordinal);
        var name = open < 0 ? fingerprint : fingerprint[..open];
        var settings = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var setting in open < 0 ? [] : fingerprint[(open + 1)..].TrimEnd(')').Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = setting.Split('=');
            if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                throw new SiftException($"the collection records a chunker this version cannot read: '{fingerprint}'");
            }

            settings[parts[0]] = value;
        }

        return Create(name, settings.GetValueOrDefault("size", DefaultSize), settings.GetValueOrDefault("overlap", DefaultOverlap));
    }
}
