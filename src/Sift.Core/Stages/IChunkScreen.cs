using Sift.Core.Documents;

namespace Sift.Core.Stages;

/// <summary>What a screen found in one document's chunks: the chunks to store, the flags as document metadata, and notices.</summary>
public sealed record ScreenedChunks(IReadOnlyList<Chunk> Chunks, IReadOnlyDictionary<string, string> Flags, IReadOnlyList<string> Notices);

/// <summary>
/// Guardrails at ingest: inspects a document's chunks before they are embedded and stored, flags what it finds (as
/// metadata under <see cref="MetadataPrefix"/>, which no source may set) and may change the text (redaction).
/// </summary>
public interface IChunkScreen
{
    public const string MetadataPrefix = "guardrail.";

    /// <summary>Names the screen's policy and detectors: documents screened under another are screened again.</summary>
    string Fingerprint { get; }

    ScreenedChunks Screen(string documentId, IReadOnlyList<Chunk> chunks);
}
