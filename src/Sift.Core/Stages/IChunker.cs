using Sift.Core.Documents;

namespace Sift.Core.Stages;

/// <summary>Splits a document into chunks. Deterministic: the same document and settings give the same chunks.</summary>
public interface IChunker
{
    /// <summary>Name and settings, e.g. "fixed(size=200,overlap=40)"; part of each document's hash so a settings change re-chunks.</summary>
    string Fingerprint { get; }

    IReadOnlyList<Chunk> Split(SourceDocument document);
}
