using Sift.Core.Documents;

namespace Sift.Core.Stages;

/// <summary>Where ingestion writes: a collection. Every document's chunks are replaced all at once or not at all.</summary>
public interface IDocumentSink
{
    /// <summary>What is stored now, by document id: enough to decide what re-ingest must do.</summary>
    IReadOnlyDictionary<string, StoredDocumentState> ListDocuments();

    /// <summary>Adds or replaces documents with their chunks; a crash leaves each document old or new, never mixed.</summary>
    void Write(IReadOnlyList<DocumentChunks> batch);

    void Delete(IReadOnlyCollection<string> documentIds);
}

/// <param name="Acl">The document's access list (encoded principals), or null when every reader may see it.</param>
public sealed record StoredDocumentState(string Id, string Source, string ContentHash, string? Acl = null);

public sealed record DocumentChunks(SourceDocument Document, IReadOnlyList<Chunk> Chunks);
