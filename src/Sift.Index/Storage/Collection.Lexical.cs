using Microsoft.Data.Sqlite;
using Sift.Index.Lexical;

namespace Sift.Index.Storage;

public sealed partial class Collection
{
    private const string LastChunkIdSql = "SELECT COALESCE(MAX(id), 0) FROM chunks";

    private string LexicalIndexPath => Path.Combine(Folder, LexicalIndexFile.FileName);

    /// <summary>
    /// The BM25 index over the current content: kept while the generation holds, mapped from <c>lexical.idx</c> when
    /// that file is of the current generation, else rebuilt from every chunk's stored terms.
    /// </summary>
    /// <remarks>
    /// Called once per search, so the freshness check is one prepared statement on a connection held for the purpose.
    /// It sees writes from other processes too, because the generation lives in the database.
    /// </remarks>
    public LexicalSnapshot LexicalIndex(Bm25Parameters parameters)
    {
        lock (_indexLock)
        {
            var generation = CurrentGeneration();
            if (_snapshot is { } current && current.Generation == generation)
            {
                // Other parameters only rescore the same postings.
                return current.Parameters == parameters
                    ? current
                    : _snapshot = current with { Parameters = parameters, Index = new Bm25Index(current.Index.Postings, parameters, current.Access.PartitionOfSlot) };
            }

            using var connection = Connect();
            _snapshot = LoadSnapshot(connection, parameters);
            return _snapshot;
        }
    }

    private LexicalSnapshot LoadSnapshot(SqliteConnection connection, Bm25Parameters parameters)
    {
        // One read transaction: the generation recorded is exactly the content read (WAL gives a stable snapshot).
        using var transaction = connection.BeginTransaction(deferred: true);
        var generation = Scalar(connection, GenerationSql, transaction);
        if (MapLexicalFile(generation, Scalar(connection, LastChunkIdSql, transaction)) is { } file)
        {
            return new LexicalSnapshot(
                generation, parameters, new Bm25Index(file.Postings, parameters, file.Access.PartitionOfSlot), file.ChunkIds, file.DocumentIds,
                file.Access, new(ReadMetadataWhenAsked));
        }

        var documents = ReadDocuments(connection, transaction);
        var (chunkIds, documentIds, postings) = ReadLexicalRows(connection, transaction);
        var partitions = AccessPartitions.Build(documentIds, documents);
        var metadata = documents.ToDictionary(d => d.Key, d => d.Value.Metadata, StringComparer.Ordinal);
        return new LexicalSnapshot(
            generation, parameters, new Bm25Index(postings, parameters, partitions.PartitionOfSlot), chunkIds, documentIds, partitions, new(metadata));
    }

    /// <summary>
    /// Document metadata for a snapshot mapped from its file, read on first use (a CLI search without a filter never
    /// needs it). It may be a write newer than the snapshot; access stays exact because a search also keeps to the
    /// snapshot's own access partitions, so a document shows only when both its access lists allow it.
    /// </summary>
    private IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ReadMetadataWhenAsked()
    {
        using var connection = Connect();
        using var transaction = connection.BeginTransaction(deferred: true);
        return ReadDocumentMetadata(connection, transaction);
    }

    private static (long[] ChunkIds, string[] DocumentIds, Bm25Postings Postings) ReadLexicalRows(SqliteConnection connection, SqliteTransaction transaction)
    {
        var chunkIds = new List<long>();
        var documentIds = new List<string>();
        using var chunks = Command(connection, transaction, "SELECT id, document_id, terms FROM chunks ORDER BY id");
        using var reader = chunks.ExecuteReader();

        // Streamed into the build: a row's term strings are garbage once counted, so memory holds postings, not text.
        IEnumerable<string[]> Rows()
        {
            while (reader.Read())
            {
                chunkIds.Add(reader.GetInt64(0));
                var documentId = reader.GetString(1);
                documentIds.Add(documentIds.Count > 0 && documentIds[^1] == documentId ? documentIds[^1] : documentId);
                yield return reader.GetString(2).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            }
        }

        var postings = Bm25Postings.Build(Rows());
        return ([.. chunkIds], [.. documentIds], postings);
    }

    /// <summary>
    /// The lexical index file when it is this collection's at this generation; null when there is none or it is
    /// stale (a cache: the caller rebuilds from the stored terms). A damaged file is also rebuilt, with a warning.
    /// </summary>
    private LexicalIndexFile? MapLexicalFile(long generation, long lastChunkId)
    {
        if (!File.Exists(LexicalIndexPath))
        {
            return null;
        }

        LexicalIndexFile file;
        try
        {
            file = LexicalIndexFile.Open(LexicalIndexPath);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            _warn?.Invoke($"the lexical index of collection '{Name}' ({LexicalIndexPath}) cannot be used ({ex.Message}); rebuilt it from the stored terms");
            return null;
        }

        var current = file.CollectionId == (_collectionId ?? "") && file.Generation == generation && file.LastChunkId == lastChunkId;
        return current ? file : null;
    }

    /// <summary>
    /// Discards both index files and builds them again, the lexical one from the stored terms and the vector one from
    /// the stored vectors: the fix for a damaged index. Returns the chunks and vectors indexed.
    /// </summary>
    public (int Chunks, int Vectors) RebuildIndexFiles()
    {
        lock (_indexLock)
        {
            File.Delete(LexicalIndexPath);
            File.Delete(VectorIndexPath);
            _snapshot = null;
            _denseSnapshot = null;
        }

        RefreshIndexFiles();
        var vectors = 0;
        if (_embedder is not null)
        {
            var dense = DenseIndex().Index;
            vectors = dense.Count - dense.DeletedCount;
        }

        return (LexicalIndex(Bm25Parameters.Default).Index.Count, vectors);
    }

    /// <summary>Writes <c>lexical.idx</c> for the current generation unless it is there already or the store is read-only.</summary>
    private void SaveLexicalFile()
    {
        if (IsReadOnly)
        {
            return;
        }

        var snapshot = LexicalIndex(Bm25Parameters.Default);
        if (snapshot.Index.Postings.IsMapped)
        {
            return; // read from the file of this very generation
        }

        try
        {
            LexicalIndexFile.Write(
                LexicalIndexPath, _collectionId ?? "", snapshot.Generation, snapshot.ChunkIds, snapshot.DocumentIds, snapshot.Index.Postings, snapshot.Access);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only a cache: a full disk or a read-only folder costs a rebuild in the next process, nothing more.
            _warn?.Invoke($"the lexical index of collection '{Name}' could not be saved ({ex.Message}); searches in a new process rebuild it");
        }
    }
}

/// <summary>
/// The BM25 index of one collection generation, with what each slot maps back to and the access partitions its
/// statistics can be restricted to.
/// </summary>
public sealed record LexicalSnapshot(
    long Generation,
    Bm25Parameters Parameters,
    Bm25Index Index,
    long[] ChunkIds,
    string[] DocumentIds,
    AccessPartitions Access,
    Lazy<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> Metadata)
{
    /// <summary>Each document's metadata (read when first asked for when the index came from its file).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> DocumentMetadata => Metadata.Value;
}
