using Sift.Core.Documents;

namespace Sift.Core.Stages;

/// <summary>Where ingestion writes: a collection. Every document's chunks are replaced all at once or not at all.</summary>
public interface IDocumentSink
{
    /// <summary>What is stored now, by document id: enough to decide what re-ingest must do.</summary>
    IReadOnlyDictionary<string, StoredDocumentState> ListDocuments();

    /// <summary>
    /// Adds or replaces documents with their chunks (and their vectors, when the collection has an embedder); a crash
    /// leaves each document old or new, never mixed.
    /// </summary>
    void Write(IReadOnlyList<DocumentChunks> batch);

    void Delete(IReadOnlyCollection<string> documentIds);

    /// <summary>Records the file stamps of documents found unchanged by content (a file touched but not edited).</summary>
    void RecordFileStamps(IReadOnlyList<(string DocumentId, string FileStamp)> stamps);
}

/// <param name="Acl">The document's access list (encoded principals), or null when every reader may see it.</param>
/// <param name="FileStamp">The stamp of the file it was read from (see <see cref="DocumentChunks"/>), or null.</param>
public sealed record StoredDocumentState(string Id, string Source, string ContentHash, string? Acl = null, string? FileStamp = null);

/// <param name="FileStamp">
/// A digest of the source file's size and modification time and of how it was ingested: a later run that finds the
/// same stamp skips the file without reading it. Null when the document is one of several from one file.
/// </param>
/// <param name="Vectors">
/// One embedding per chunk, in order, made by the ingest's embedding stage (<see cref="Embedders.EmbedChunksAsync"/>);
/// null for a collection without an embedder. Stores keep vectors, they never compute them.
/// </param>
public sealed record DocumentChunks(SourceDocument Document, IReadOnlyList<Chunk> Chunks, string? FileStamp = null, IReadOnlyList<float[]?>? Vectors = null);
