using Sift.Core.Documents;
using Sift.Core.Stages;

namespace Sift.Ingest.Chunking;

/// <summary>One chunk per document: right for short records such as BEIR abstracts.</summary>
public sealed class WholeDocumentChunker : IChunker
{
    public string Fingerprint => "document";

    /// <remarks>A record with a title but no text still gets a chunk, so it can be found by its title.</remarks>
    public IReadOnlyList<Chunk> Split(SourceDocument document) =>
        [ChunkBuilder.Make(document, 0, 0, document.Text.Length)];
}
