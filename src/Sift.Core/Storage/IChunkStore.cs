using Microsoft.Extensions.AI;
using Sift.Core.Documents;
using Sift.Core.Filtering;
using Sift.Core.Stages;

namespace Sift.Core.Storage;

/// <summary>
/// One collection in a store: documents, their chunks, metadata and access lists, embeddings, settings and a
/// generation that changes with every content write. Writes are atomic per batch: a crash leaves every document in a
/// batch old or new. The derived indexes (<see cref="LexicalIndex"/>, <see cref="DenseIndex"/>) follow the generation.
/// Rankers, the server and evaluation take this contract, never a backend type.
/// </summary>
public interface IChunkStore : IDocumentSink, IDisposable
{
    string Name { get; }

    /// <summary>Where the collection is, for messages (a folder, or store address and name).</summary>
    string Location { get; }

    /// <summary>True when the collection cannot be written here (a read-only mount): search works, writes are refused.</summary>
    bool IsReadOnly { get; }

    /// <summary>The content version: it changes with every write, so caches keyed by it never serve stale results.</summary>
    long Generation { get; }

    CollectionSettings Settings { get; }

    /// <summary>Stores new settings; a change to the vector graph's shape rebuilds the vector index.</summary>
    void Configure(CollectionSettings settings);

    /// <summary>The fingerprint of the chunker that last wrote the collection ("" before the first ingest).</summary>
    string ChunkerFingerprint { get; }

    /// <summary>Folders this collection was ingested from (absolute paths), which file ids are relative to.</summary>
    IReadOnlyList<string> SourceRoots { get; }

    /// <summary>Records a folder as a root, unless a recorded root already holds it.</summary>
    void AddSourceRoot(string folder);

    /// <summary>How the collection's embedder is made ("glove", "onnx:DIR", ...); null until the first ingest chose one.</summary>
    string? EmbedderSpec { get; }

    /// <summary>The embedder bound for this session (null: none, or a collection without vectors).</summary>
    IEmbeddingGenerator<string, Embedding<float>>? Embedder { get; }

    /// <summary>
    /// Binds the embedder for this session. The first one used is recorded; later sessions must use the same model,
    /// because vectors from different models cannot be compared.
    /// </summary>
    void UseEmbedder(string spec, IEmbeddingGenerator<string, Embedding<float>>? embedder);

    CollectionInfo Info();

    /// <summary>The documents matching <paramref name="filter"/> (all when null), by id.</summary>
    IReadOnlyList<DocumentRecord> Documents(MetadataFilter? filter = null);

    /// <summary>One document and its chunks in order, or null when there is none with that id.</summary>
    (DocumentRecord Document, IReadOnlyList<StoredChunk> Chunks)? Document(string id);

    /// <summary>Stored chunks by id, with their document's title and source, in the order asked; unknown ids are left out.</summary>
    IReadOnlyList<StoredChunk> GetChunks(IReadOnlyList<long> chunkIds);

    /// <summary>Every chunk id, ascending (to sample chunks, e.g. when drafting a test set).</summary>
    IReadOnlyList<long> ChunkIds();

    /// <summary>The stored vectors of chunks by id, in the order asked (null for a chunk without one): for copying a collection.</summary>
    IReadOnlyList<float[]?> GetVectors(IReadOnlyList<long> chunkIds);

    /// <summary>Ends an ingest run: records the chunker and brings the derived indexes up to date.</summary>
    void FinishIngest(string chunkerFingerprint);

    /// <summary>Brings the derived indexes up to the current generation, so the next search does not build them.</summary>
    void RefreshIndexes();

    /// <summary>The BM25 index over the current generation.</summary>
    ILexicalIndex LexicalIndex(Bm25Parameters parameters);

    /// <summary>The vector index over the current generation; a <see cref="SiftException"/> when the collection has no embedder.</summary>
    IDenseIndex DenseIndex();

    /// <summary>The collection's versions and aliases; null for a backend that keeps none, and for a version's own view.</summary>
    IVersionCatalog? Versions { get; }
}
