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
        var documents = ReadDocuments(connection, transaction);
        var (chunkIds, documentIds, postings) = MapLexicalFile(generation, Scalar(connection, LastChunkIdSql, transaction)) ?? ReadLexicalRows(connection, transaction);
        var partitions = AccessPartitions.Build(documentIds, documents);
        var index = new Bm25Index(postings, parameters, partitions.PartitionOfSlot);
        var metadata = documents.ToDictionary(d => d.Key, d => d.Value.Metadata, StringComparer.Ordinal);
        return new LexicalSnapshot(generation, parameters, index, chunkIds, documentIds, metadata, partitions);
    }

    private static (long[] ChunkIds, string[] DocumentIds, Bm25Postings Postings) ReadLexicalRows(SqliteConnection connection, SqliteTransaction transaction)
    {
        var chunkIds = new List<long>();
        var documentIds = new List<string>();
        var terms = new List<string[]>();
        using (var chunks = Command(connection, transaction, "SELECT id, document_id, terms FROM chunks ORDER BY id"))
        using (var reader = chunks.ExecuteReader())
        {
            while (reader.Read())
            {
                chunkIds.Add(reader.GetInt64(0));
                documentIds.Add(reader.GetString(1));
                terms.Add(reader.GetString(2).Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
        }

        return ([.. chunkIds], [.. documentIds], Bm25Postings.Build(terms));
    }

    /// <summary>
    /// The lexical index file when it is this collection's at this generation; null when there is none or it is
    /// stale (a cache: the caller rebuilds from the stored terms). A damaged file is also rebuilt, with a warning.
    /// </summary>
    private (long[] ChunkIds, string[] DocumentIds, Bm25Postings Postings)? MapLexicalFile(long generation, long lastChunkId)
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
        return current ? (file.ChunkIds, file.DocumentIds, file.Postings) : null;
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
            LexicalIndexFile.Write(LexicalIndexPath, _collectionId ?? "", snapshot.Generation, snapshot.ChunkIds, snapshot.DocumentIds, snapshot.Index.Postings);
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
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> DocumentMetadata,
    AccessPartitions Access);
