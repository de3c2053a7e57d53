using Sift.Core.Documents;

namespace Sift.Core.Stages;

/// <summary>What a screen found in one document: its title and chunks to store, the flags as document metadata, and notices.</summary>
public sealed record ScreenedChunks(string Title, IReadOnlyList<Chunk> Chunks, IReadOnlyDictionary<string, string> Flags, IReadOnlyList<string> Notices);

/// <summary>
/// Guardrails at ingest: inspects a document's chunks before they are embedded and stored, flags what it finds (as
/// metadata under <see cref="MetadataPrefix"/>, which no source may set) and may change the text (redaction).
/// </summary>
public interface IChunkScreen
{
    public const string MetadataPrefix = "guardrail.";

    /// <summary>True for a key only the screen may write: the prefix in any case, invisible characters ignored ("Guardrail\u200b.pii").</summary>
    public static bool IsReserved(string key) =>
        string.Concat(key.Where(c => char.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.Format))
            .StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>Names the screen's policy and detectors: documents screened under another are screened again.</summary>
    string Fingerprint { get; }

    /// <param name="title">The document's title: inspected with each chunk (as answers show a passage) and redacted with them.</param>
    ScreenedChunks Screen(string documentId, string title, IReadOnlyList<Chunk> chunks);
}
