using Microsoft.Data.Sqlite;
using Sift.Core.Filtering;
using Sift.Core.Storage;
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
        LexicalSnapshot loaded;
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
            loaded = _snapshot = LoadSnapshot(connection, parameters);
        }

        if (Interlocked.Exchange(ref _outdatedFile, 0) == 1)
        {
            // An older Sift's file was passed over: replace it now, so later processes map the file instead of rebuilding.
            SaveLexicalFile();
        }

        return loaded;
    }

    private int _outdatedFile;

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
        using var rows = Command(connection, transaction, "SELECT id, document_id, terms FROM chunks ORDER BY document_id, ordinal");
        using var reader = rows.ExecuteReader();
        return LexicalSnapshot.Build(generation, parameters, LexicalRows(reader), documents);
    }

    private static IEnumerable<(long ChunkId, string DocumentId, string Terms)> LexicalRows(SqliteDataReader reader)
    {
        while (reader.Read())
        {
            yield return (reader.GetInt64(0), reader.GetString(1), reader.GetString(2));
        }
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
        catch (OutdatedIndexFileException)
        {
            _outdatedFile = 1; // written by an older Sift: rebuilt from the stored terms, then saved in this format
            return null;
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

        RefreshIndexes();
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
/// statistics can be restricted to. Slots are in stable order (document id, then chunk ordinal), so equal scores rank
/// alike on every store whatever its row ids.
/// </summary>
public sealed record LexicalSnapshot(
    long Generation,
    Bm25Parameters Parameters,
    Bm25Index Index,
    long[] ChunkIds,
    string[] DocumentIds,
    AccessPartitions Access,
    Lazy<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> Metadata) : ILexicalIndex
{
    /// <summary>Each document's metadata (read when first asked for when the index came from its file).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> DocumentMetadata => Metadata.Value;

    /// <summary>
    /// Builds the index from stored rows (chunk id, document id, the chunk's analysed terms joined by spaces) in
    /// (document id, chunk ordinal) order, streamed: a row's term strings are garbage once counted, so memory holds
    /// postings, not text. Any backend that stores terms builds its lexical index here.
    /// </summary>
    public static LexicalSnapshot Build(
        long generation, Bm25Parameters parameters, IEnumerable<(long ChunkId, string DocumentId, string Terms)> rows,
        IReadOnlyDictionary<string, (IReadOnlyDictionary<string, string> Metadata, string ContentHash)> documents)
    {
        var chunkIds = new List<long>();
        var documentIds = new List<string>();
        IEnumerable<string[]> Terms()
        {
            foreach (var (chunkId, documentId, terms) in rows)
            {
                chunkIds.Add(chunkId);
                documentIds.Add(documentIds.Count > 0 && documentIds[^1] == documentId ? documentIds[^1] : documentId);
                yield return terms.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            }
        }

        var postings = Bm25Postings.Build(Terms());
        string[] slots = [.. documentIds];
        var partitions = AccessPartitions.Build(slots, documents);
        var metadata = documents.ToDictionary(d => d.Key, d => d.Value.Metadata, StringComparer.Ordinal);
        return new LexicalSnapshot(
            generation, parameters, new Bm25Index(postings, parameters, partitions.PartitionOfSlot), [.. chunkIds], slots, partitions, new(metadata));
    }

    public IReadOnlyList<ChunkScore> Search(IReadOnlyList<string> terms, int k, MetadataFilter? filter) =>
        Search([.. terms.Select(term => new WeightedTerm(term, 1))], k, filter);

    public IReadOnlyList<ChunkScore> Search(IReadOnlyList<WeightedTerm> terms, int k, MetadataFilter? filter)
    {
        var visible = Access.VisibleTo(filter?.Access).Partitions;
        var slots = Index.Search(terms, k, MetadataSlots.Allowed(DocumentIds, () => DocumentMetadata, filter), visible);
        var scores = slots.Select(s => new ChunkScore(ChunkIds[s.Slot], DocumentIds[s.Slot], s.Score)).ToArray();
        Array.Sort(scores, ChunkScore.BestFirst);
        return scores;
    }

    public double Idf(string term, AccessScope? access) => Index.Idf(term, Access.VisibleTo(access).Partitions);

    public VisibleCounts Visible(AccessScope? access)
    {
        var visible = Access.VisibleTo(access);
        return new VisibleCounts(visible.Documents, visible.Chunks, visible.Version);
    }
}
