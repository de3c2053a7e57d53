using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Index.Vectors;

namespace Sift.Index.Storage;

/// <summary>
/// Embeddings and the vector index. Vectors are stored with their chunks (the store of record); the HNSW index file
/// beside the database is a checksummed cache that is brought up to date incrementally (new chunks added, removed
/// chunks tombstoned) and can always be rebuilt from the stored vectors.
/// </summary>
public sealed partial class Collection
{
    public const string VectorIndexFileName = "vectors.idx";
    private const string EmbedderSpecKey = "embedder_spec";
    private const string EmbedderIdentityKey = "embedder";

    /// <summary>Above this share of deleted nodes the index is rebuilt rather than patched.</summary>
    private const double MaxDeletedShare = 0.3;

    private IEmbeddingGenerator<string, Embedding<float>>? _embedder;
    private DenseSnapshot? _denseSnapshot;

    /// <summary>How the collection's embedder is made ("glove", "onnx:DIR", ...); null until the first ingest chose one.</summary>
    public string? EmbedderSpec => ReadMetaValue(EmbedderSpecKey);

    public IEmbeddingGenerator<string, Embedding<float>>? Embedder => _embedder;

    private string VectorIndexPath => Path.Combine(Folder, VectorIndexFileName);

    /// <summary>
    /// Sets the embedder for this session. The first one used is recorded; later sessions must use the same model,
    /// because vectors from different models cannot be compared.
    /// </summary>
    public void UseEmbedder(string spec, IEmbeddingGenerator<string, Embedding<float>>? embedder)
    {
        var identity = embedder is null ? StoredVectors.NoEmbedder : Embedders.Identity(embedder);
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        var meta = ReadMeta(connection, transaction);
        if (StoredRows.RecordEmbedder(Name, meta.GetValueOrDefault(EmbedderIdentityKey), meta.GetValueOrDefault(EmbedderSpecKey), identity,
            () => Scalar(connection, "SELECT COUNT(*) FROM chunks", transaction) > 0))
        {
            WriteMeta(connection, transaction, EmbedderSpecKey, embedder is null ? StoredVectors.NoEmbedder : spec);
            WriteMeta(connection, transaction, EmbedderIdentityKey, identity);
        }

        transaction.Commit();
        _embedder = embedder;
    }

    /// <summary>The vector index over the current content; synchronised only when the collection changed.</summary>
    public DenseSnapshot DenseIndex()
    {
        if (_embedder is null)
        {
            throw new SiftException($"collection '{Name}' has no embedder, so it has no vectors to search: search it in mode bm25");
        }

        lock (_indexLock)
        {
            var generation = CurrentGeneration();
            if (_denseSnapshot is { } current && current.Generation == generation)
            {
                return current;
            }

            _denseSnapshot = SynchroniseVectorIndex();
            return _denseSnapshot;
        }
    }

    private DenseSnapshot SynchroniseVectorIndex()
    {
        using var connection = Connect();
        using var transaction = connection.BeginTransaction(deferred: true);
        var generation = Scalar(connection, GenerationSql, transaction);
        var identity = ReadMeta(connection, transaction).GetValueOrDefault(EmbedderIdentityKey) ?? StoredVectors.NoEmbedder;
        var live = new Dictionary<long, string>();
        using (var command = Command(connection, transaction, "SELECT c.id, c.document_id FROM chunks c JOIN embeddings e ON e.chunk_id = c.id ORDER BY c.id"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                live[reader.GetInt64(0)] = reader.GetString(1);
            }
        }

        var settings = VectorSettings;
        var (index, keys) = LoadVectorFile(identity, generation) ?? (null, new List<long>());
        var dead = index is null ? 0 : Enumerable.Range(0, keys.Count).Count(node => index.IsDeleted(node) || !live.ContainsKey(keys[node]));
        if (dead > MaxDeletedShare * Math.Max(1, keys.Count))
        {
            (index, keys) = (null, []);
        }

        // Starting afresh over an existing file (refused, outdated or too sparse): the new index replaces it even if empty.
        var changed = index is null && File.Exists(VectorIndexPath);

        if (index is not null)
        {
            for (var node = 0; node < keys.Count; node++)
            {
                if (!index.IsDeleted(node) && !live.ContainsKey(keys[node]))
                {
                    index.Delete(node);
                    changed = true;
                }
            }
        }

        var indexed = keys.ToHashSet();
        var missing = live.Keys.Where(id => !indexed.Contains(id)).ToList();
        foreach (var (chunkId, vector) in ReadVectors(connection, transaction, missing))
        {
            index ??= new VectorIndex(settings with { Dimensions = vector.Length });
            if (vector.Length != index.Dimensions)
            {
                throw new SiftException($"collection '{Name}': chunk {chunkId} has a {vector.Length}-dimensional vector, the index {index.Dimensions}");
            }

            index.Add(vector);
            keys.Add(chunkId);
            changed = true;
        }

        index ??= new VectorIndex(settings with { Dimensions = Math.Max(1, _embedder?.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelDimensions ?? 1) });
        if (changed)
        {
            SaveVectorFile(index, keys, identity, generation);
        }

        var documentIds = keys.Select(k => live.GetValueOrDefault(k, "")).ToArray();
        return new DenseSnapshot(generation, index, [.. keys], documentIds, ReadDocumentMetadata(connection, transaction), settings.EfSearch);
    }

    public IReadOnlyList<float[]?> GetVectors(IReadOnlyList<long> chunkIds)
    {
        using var connection = Connect();
        using var transaction = connection.BeginTransaction(deferred: true);
        var byId = ReadVectors(connection, transaction, [.. chunkIds]).ToDictionary(v => v.ChunkId, v => v.Vector);
        return [.. chunkIds.Select(id => byId.GetValueOrDefault(id))];
    }

    private static IEnumerable<(long ChunkId, float[] Vector)> ReadVectors(SqliteConnection connection, SqliteTransaction transaction, List<long> chunkIds)
    {
        const int Page = 10_000;
        for (var start = 0; start < chunkIds.Count; start += Page)
        {
            var page = chunkIds.GetRange(start, Math.Min(Page, chunkIds.Count - start));
            using var command = Command(connection, transaction,
                "SELECT chunk_id, vector FROM embeddings WHERE chunk_id IN (SELECT value FROM json_each($ids)) ORDER BY chunk_id", "$ids");
            command.Parameters[0].Value = System.Text.Json.JsonSerializer.Serialize(page);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                yield return (reader.GetInt64(0), FromBlob((byte[])reader.GetValue(1)));
            }
        }
    }

    /// <summary>
    /// The index file if it can be patched: null when there is none, or it is of an older format, or it was built with
    /// another embedder or for another collection or a later state of this one (those are refused with a warning and
    /// rebuilt from the stored vectors). A damaged file is an error that names the fix.
    /// </summary>
    private (VectorIndex? Index, List<long> Keys)? LoadVectorFile(string identity, long generation)
    {
        if (!File.Exists(VectorIndexPath))
        {
            return null;
        }

        VectorFile file;
        try
        {
            file = ReadVectorFile(VectorIndexPath, Name);
        }
        catch (VectorIndexFormatException)
        {
            return null; // written by an older Sift: a cache, so it is simply rebuilt in the current format
        }
        catch (SiftException ex)
        {
            throw new SiftException($"{ex.Message}; rebuild it from the stored vectors with: sift collections rebuild {Name}", ex);
        }

        var foreign = file.CollectionId != (_collectionId ?? "")
            ? $"belongs to another collection (id {Display(file.CollectionId)}, this one is {Display(_collectionId)})"
            : file.Generation > generation
                ? $"was built at generation {file.Generation}, after this database's {generation} (the database was restored or replaced)"
                : null;
        if (foreign is not null)
        {
            _warn?.Invoke($"{file.Description} {foreign}; refused it and rebuilt it from the stored vectors");
            return null;
        }

        return file.EmbedderIdentity == identity && file.Keys.Count == file.Index.Count ? (file.Index, file.Keys) : null;
    }

    private static string Display(string? collectionId) => string.IsNullOrEmpty(collectionId) ? "(none)" : collectionId;

    /// <summary>Reads an index file and the collection's header in it; throws <see cref="SiftException"/> when damaged.</summary>
    internal static VectorFile ReadVectorFile(string path, string collectionName)
    {
        var description = $"the vector index of collection '{collectionName}' ({path})";
        string embedderIdentity = "", collectionId = "";
        long generation = 0;
        var keys = new List<long>();
        using var stream = File.OpenRead(path);
        var index = Vectors.VectorIndex.Load(stream, reader =>
        {
            embedderIdentity = reader.ReadString();
            collectionId = reader.ReadString();
            generation = reader.ReadInt64();
            var count = reader.ReadInt32();
            for (var i = 0; i < count; i++)
            {
                keys.Add(reader.ReadInt64());
            }
        }, description);
        return new VectorFile(index, embedderIdentity, collectionId, generation, keys, description);
    }

    private void SaveVectorFile(VectorIndex index, List<long> keys, string identity, long generation)
    {
        // Write a new file and rename it over the old one: readers and crashes see the old file or the new one.
        var temporary = $"{VectorIndexPath}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                index.Save(file, writer =>
                {
                    writer.Write(identity);
                    writer.Write(_collectionId ?? "");
                    writer.Write(generation);
                    writer.Write(keys.Count);
                    foreach (var key in keys)
                    {
                        writer.Write(key);
                    }
                });
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, VectorIndexPath, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The file is only a cache; a read-only folder or a racing writer costs a rebuild later, nothing more.
            File.Delete(temporary);
        }
    }

    private string? ReadMetaValue(string key)
    {
        using var connection = Connect();
        return ReadMeta(connection, null).GetValueOrDefault(key);
    }

    private static byte[] ToBlob(float[] vector) => MemoryMarshal.AsBytes(vector.AsSpan()).ToArray();

    private static float[] FromBlob(byte[] blob) => MemoryMarshal.Cast<byte, float>(blob).ToArray();
}

/// <summary>The vector index of one collection generation, with what each node maps back to.</summary>
public sealed record DenseSnapshot(
    long Generation,
    VectorIndex Index,
    long[] ChunkIds,
    string[] DocumentIds,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> DocumentMetadata,
    int EfSearch) : IDenseIndex
{
    /// <remarks>
    /// An exact search is stable: when chunks tie at the k-th place (identical vectors), every chunk of that score
    /// is considered and the tie goes by <see cref="ChunkScore.BestFirst"/>, not by node order. A graph search is
    /// approximate, and which nodes it reaches depends on the order the graph was built in.
    /// </remarks>
    public IReadOnlyList<ChunkScore> Search(float[] vector, int k, MetadataFilter? filter, int? efSearch, bool exact)
    {
        var allowed = MetadataSlots.Allowed(DocumentIds, () => DocumentMetadata, filter);
        var nodes = exact ? Index.SearchExact(vector, k + 1, allowed) : Index.Search(vector, k, efSearch ?? EfSearch, allowed);
        if (exact && nodes.Count > k && nodes[k].Similarity == nodes[k - 1].Similarity)
        {
            var cut = nodes[k - 1].Similarity;
            nodes = [.. Index.SearchExact(vector, Index.Count, allowed).TakeWhile(n => n.Similarity >= cut)];
        }

        var scores = nodes.Select(n => new ChunkScore(ChunkIds[n.Node], DocumentIds[n.Node], n.Similarity)).ToArray();
        Array.Sort(scores, ChunkScore.BestFirst);
        return scores.Length > k ? scores[..k] : scores;
    }
}

/// <summary>A vector index file as read back: the index, and whose it is (embedder, collection, generation, chunk per node).</summary>
internal sealed record VectorFile(VectorIndex Index, string EmbedderIdentity, string CollectionId, long Generation, List<long> Keys, string Description);
