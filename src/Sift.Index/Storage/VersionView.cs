using Microsoft.Extensions.AI;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Core.Storage;

namespace Sift.Index.Storage;

/// <summary>
/// The rows of sealed versions as a store keeps them (its working tables and its archive), each read restricted to
/// one version's document revisions: what a <see cref="VersionView"/> reads, whatever the database.
/// </summary>
public interface IVersionRows
{
    /// <summary>The version's documents, by id.</summary>
    IReadOnlyList<DocumentRecord> Documents(long[] revisions);

    /// <summary>One document of the version and its chunk ids in ordinal order, or null.</summary>
    (DocumentRecord Document, IReadOnlyList<long> ChunkIds)? Document(string id, long[] revisions);

    /// <summary>
    /// Chunks by id from the working tables and the archive, each with its document's revision (the caller keeps those
    /// of its version: a set lookup per chunk, where a revision filter in SQL would cost a pass over the whole list).
    /// </summary>
    IReadOnlyList<(StoredChunk Chunk, long Revision)> Chunks(IReadOnlyList<long> chunkIds);

    /// <summary>(chunk id, document id, analysed terms) of every chunk of the version, in (document id, ordinal) order.</summary>
    IReadOnlyList<(long ChunkId, string DocumentId, string Terms)> LexicalRows(long[] revisions);

    /// <summary>Every stored vector of the version's chunks, by chunk id.</summary>
    IReadOnlyList<(long ChunkId, float[] Vector)> Vectors(long[] revisions);
}

/// <summary>
/// Indexes built for versions other than a collection's working state, newest use last: a few are kept, since a
/// rolled-back prod or a canary's baseline is read request after request.
/// </summary>
public sealed class VersionIndexCache
{
    private const int Kept = 4;

    private readonly List<(long Version, LexicalSnapshot Lexical, Lazy<IDenseIndex> Dense)> _entries = [];

    public (LexicalSnapshot Lexical, Lazy<IDenseIndex> Dense) GetOrBuild(long version, Func<(LexicalSnapshot, Lazy<IDenseIndex>)> build)
    {
        lock (_entries)
        {
            var cached = _entries.FindIndex(e => e.Version == version);
            if (cached >= 0)
            {
                var hit = _entries[cached];
                _entries.RemoveAt(cached);
                _entries.Add(hit);
                return (hit.Lexical, hit.Dense);
            }
        }

        var (lexical, dense) = build();
        lock (_entries)
        {
            _entries.RemoveAll(e => e.Version == version);
            _entries.Add((version, lexical, dense));
            if (_entries.Count > Kept)
            {
                _entries.RemoveAt(0);
            }
        }

        return (lexical, dense);
    }
}

/// <summary>
/// One sealed version of a collection, read-only, for every backend that keeps versions. While the working state is
/// still exactly this version (its generation is the version's), searches use the collection's own indexes;
/// otherwise the version's BM25 index is built from its rows (kept in the collection's <see cref="VersionIndexCache"/>)
/// and its vectors are searched exactly, so a version answers the same whatever was written after it.
/// </summary>
public sealed class VersionView(IChunkStore collection, VersionRecord version, long[] revisions, IVersionRows rows, VersionIndexCache cache) : IChunkStore
{
    public string Name => collection.Name;

    public string Location => $"{collection.Location} (version {version.Id})";

    public bool IsReadOnly => true;

    public long Generation => version.Generation;

    public CollectionSettings Settings => version.Settings;

    public string ChunkerFingerprint => version.Chunker;

    public IReadOnlyList<string> SourceRoots => collection.SourceRoots;

    public string? EmbedderSpec => collection.EmbedderSpec;

    public IEmbeddingGenerator<string, Embedding<float>>? Embedder => collection.Embedder;

    public IVersionCatalog? Versions => null;

    public void Configure(CollectionSettings settings) => throw ReadOnly();

    public void AddSourceRoot(string folder) => throw ReadOnly();

    public void UseEmbedder(string spec, IEmbeddingGenerator<string, Embedding<float>>? embedder) => collection.UseEmbedder(spec, embedder);

    public CollectionInfo Info() =>
        collection.Info() with { Documents = version.Documents, Chunks = version.Chunks, Generation = version.Generation, Chunker = version.Chunker };

    public IReadOnlyList<DocumentRecord> Documents(MetadataFilter? filter = null) =>
        [.. rows.Documents(revisions).Where(d => filter is null || filter.Matches(d.Metadata))];

    public (DocumentRecord Document, IReadOnlyList<StoredChunk> Chunks)? Document(string id) =>
        rows.Document(id, revisions) is { } found ? (found.Document, GetChunks(found.ChunkIds)) : null;

    public IReadOnlyList<StoredChunk> GetChunks(IReadOnlyList<long> chunkIds)
    {
        if (chunkIds.Count == 0)
        {
            return [];
        }

        var held = _held.Value;
        var byId = rows.Chunks(chunkIds).Where(c => held.Contains(c.Revision)).ToDictionary(c => c.Chunk.Id, c => c.Chunk);
        return [.. chunkIds.Where(byId.ContainsKey).Select(id => byId[id])];
    }

    private readonly Lazy<HashSet<long>> _held = new(() => [.. revisions]);

    public IReadOnlyList<long> ChunkIds() => [.. rows.LexicalRows(revisions).Select(r => r.ChunkId).Order()];

    public IReadOnlyList<float[]?> GetVectors(IReadOnlyList<long> chunkIds)
    {
        var byId = rows.Vectors(revisions).ToDictionary(v => v.ChunkId, v => v.Vector);
        return [.. chunkIds.Select(id => byId.GetValueOrDefault(id))];
    }

    public IReadOnlyDictionary<string, StoredDocumentState> ListDocuments() =>
        Documents().ToDictionary(
            d => d.Id,
            d => new StoredDocumentState(d.Id, d.Source, d.ContentHash, d.Metadata.GetValueOrDefault(AccessScope.MetadataKey)),
            StringComparer.Ordinal);

    public void Write(IReadOnlyList<DocumentChunks> batch) => throw ReadOnly();

    public void Delete(IReadOnlyCollection<string> documentIds) => throw ReadOnly();

    public void RecordFileStamps(IReadOnlyList<(string DocumentId, string FileStamp)> stamps) => throw ReadOnly();

    public void FinishIngest(string chunkerFingerprint) => throw ReadOnly();

    public void RefreshIndexes() => LexicalIndex(Bm25Parameters.Default);

    public ILexicalIndex LexicalIndex(Bm25Parameters parameters)
    {
        if (collection.Generation == version.Generation && collection.LexicalIndex(parameters) is { } head && head.Generation == version.Generation)
        {
            return head;
        }

        var lexical = Built().Lexical;
        return lexical.Parameters == parameters
            ? lexical
            : lexical with { Parameters = parameters, Index = new Lexical.Bm25Index(lexical.Index.Postings, parameters, lexical.Access.PartitionOfSlot) };
    }

    public IDenseIndex DenseIndex()
    {
        if (collection.Embedder is null)
        {
            throw new SiftException($"collection '{Name}' has no embedder, so it has no vectors to search: search it in mode bm25");
        }

        if (collection.Generation == version.Generation && collection.DenseIndex() is { } head && head.Generation == version.Generation)
        {
            return head;
        }

        return Built().Dense.Value;
    }

    public void Dispose()
    {
        // The view borrows the collection's connections; closing them is the collection's business.
    }

    private (LexicalSnapshot Lexical, Lazy<IDenseIndex> Dense) Built() => cache.GetOrBuild(version.Id, () =>
    {
        var documents = Documents().ToDictionary(d => d.Id, d => (d.Metadata, d.ContentHash), StringComparer.Ordinal);
        var lexical = LexicalSnapshot.Build(version.Generation, Bm25Parameters.Default, rows.LexicalRows(revisions), documents);
        var metadata = documents.ToDictionary(d => d.Key, d => d.Value.Metadata, StringComparer.Ordinal);
        return (lexical, new Lazy<IDenseIndex>(() => new ExactDenseIndex(version.Generation, rows.Vectors(revisions), lexical, metadata, version.Settings.EfSearch)));
    });

    private SiftException ReadOnly() =>
        new($"version {version.Id} of collection '{Name}' is read-only: write to the collection, which makes a new version");
}
