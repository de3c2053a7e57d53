using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Index.Lexical;

namespace Sift.Index.Storage;

/// <summary>
/// One collection: documents, chunks, their analyzed terms and their embeddings in a SQLite database (WAL) inside the
/// collection's folder. Writes are transactions, so a process killed mid-ingest leaves every document either old or
/// new. The BM25 index and the vector index are derived from what is stored and follow the collection's generation.
/// </summary>
public sealed partial class Collection : IChunkStore
{
    public const string DatabaseFileName = "collection.db";
    /// <summary>
    /// The database layout this Sift writes. 2: documents carry file stamps, and chunks are indexed by (document,
    /// ordinal), the order the lexical index is built in. 3: documents carry a revision number, and versions, aliases
    /// and the rows of superseded revisions that versions still hold are kept. Older stores are migrated in place when
    /// opened.
    /// </summary>
    public const int SchemaVersion = 3;
    private const string SchemaVersionKey = "schema_version";
    private const string ChunkerKey = "chunker";
    private const string CollectionIdKey = "collection_id";

    private const string GenerationSql = "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation'";
    private const string DeleteEmbeddingsSql = "DELETE FROM embeddings WHERE chunk_id IN (SELECT id FROM chunks WHERE document_id = $id)";

    private string _connectionString;
    private readonly ITextAnalyzer _analyzer;
    private readonly Action<string>? _warn;
    private readonly Lock _indexLock = new();
    private string? _collectionId;
    private LexicalSnapshot? _snapshot;
    private SqliteConnection? _generationConnection;
    private SqliteCommand? _generationQuery;

    private Collection(string name, string folder, ITextAnalyzer analyzer, Action<string>? warn)
    {
        Name = name;
        Folder = folder;
        _analyzer = analyzer;
        _warn = warn;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(folder, DatabaseFileName),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Name { get; }

    public string Folder { get; }

    public string Location => Folder;

    /// <summary>A random id given at creation: it tells this collection's files from another's (null only for a
    /// collection created before ids existed and opened where it cannot be written).</summary>
    public string? CollectionId => _collectionId;

    internal static Collection Open(string name, string folder, ITextAnalyzer analyzer, bool create, Action<string>? warn)
    {
        var collection = new Collection(name, folder, analyzer, warn);
        try
        {
            collection.Initialise(create);
        }
        catch (SqliteException ex) when (!create && ex.SqliteErrorCode is ReadOnlyError or CannotOpenError && File.Exists(Path.Combine(folder, DatabaseFileName)))
        {
            // A store on a read-only mount (a normal way to ship an index): search and ask need no writes. SQLite
            // cannot create the WAL's shared-memory file there, so the database is opened as immutable.
            collection.OpenReadOnly();
        }
        catch (SqliteException ex)
        {
            throw new SiftException(
                $"collection '{name}' cannot be opened: {ex.Message}", ex);
        }

        return collection;
    }

    private const int ReadOnlyError = 8; // SQLITE_READONLY
    private const int CannotOpenError = 14; // SQLITE_CANTOPEN

    /// <summary>True when the collection's files cannot be written: searching works, writing is refused by SQLite.</summary>
    public bool IsReadOnly { get; private set; }

    /// <summary>The layout of a collection opened read-only (it cannot be migrated); a writable one is always at <see cref="SchemaVersion"/>.</summary>
    private int _readOnlySchema = SchemaVersion;

    private void OpenReadOnly()
    {
        // Opened as immutable, SQLite would not read a write-ahead log: a store copied before its last writes were folded
        // into the database would answer from stale data. Refuse it instead.
        if (new FileInfo(Path.Combine(Folder, DatabaseFileName + "-wal")) is { Exists: true, Length: > 0 })
        {
            throw new SiftException($"collection '{Name}' is read-only and has writes not yet folded into its database (a -wal file): open it once where it can be written, or copy it after Sift has finished writing");
        }

        using (var failed = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(failed);
        }

        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = $"file:{Path.Combine(Folder, DatabaseFileName)}?immutable=1",
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = true,
        }.ToString();
        IsReadOnly = true;
        try
        {
            using var connection = Connect();
            var meta = ReadMeta(connection, null);
            // An older layout cannot be migrated here, and need not be: every version's tables read the same.
            _readOnlySchema = int.Parse(meta.GetValueOrDefault(SchemaVersionKey, "1"), CultureInfo.InvariantCulture);
            RefuseNewer(_readOnlySchema);
            if (meta.GetValueOrDefault("analyzer") != _analyzer.Name)
            {
                throw new SiftException(
                    $"collection '{Name}' was indexed with analyzer '{meta.GetValueOrDefault("analyzer")}', this Sift uses '{_analyzer.Name}': re-ingest it into a new collection");
            }

            _collectionId = meta.GetValueOrDefault(CollectionIdKey);
        }
        catch (SqliteException ex)
        {
            throw new SiftException($"collection '{Name}' at {Folder} cannot be opened, even read-only: {ex.Message}", ex);
        }
    }

    private void Initialise(bool create)
    {
        using var connection = Connect();
        Execute(connection, "PRAGMA journal_mode=WAL;");
        using var transaction = connection.BeginTransaction();
        Execute(connection, """
            CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS documents(
                id TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT NOT NULL, content_hash TEXT NOT NULL,
                metadata TEXT NOT NULL, chunk_count INTEGER NOT NULL, ingested_at TEXT NOT NULL, file_stamp TEXT);
            CREATE TABLE IF NOT EXISTS chunks(
                id INTEGER PRIMARY KEY AUTOINCREMENT, document_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
                text TEXT NOT NULL, start_offset INTEGER NOT NULL, end_offset INTEGER NOT NULL,
                heading_path TEXT NOT NULL, page INTEGER, content_hash TEXT NOT NULL, terms TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS embeddings(chunk_id INTEGER PRIMARY KEY, vector BLOB NOT NULL);
            """, transaction);

        var meta = ReadMeta(connection, transaction);
        var version = meta.Count == 0 ? 0 : int.Parse(meta.GetValueOrDefault(SchemaVersionKey, "1"), CultureInfo.InvariantCulture);
        RefuseNewer(version);
        if (version < SchemaVersion)
        {
            // A new database is laid out by the same steps as an old one is migrated by, in this transaction: a crash
            // leaves it as it was.
            Migrate(connection, transaction, Math.Max(version, 1));
        }

        if (meta.Count == 0)
        {
            if (!create)
            {
                throw new SiftException($"collection '{Name}' at {Folder} is empty or was never initialised");
            }

            var now = Timestamp();
            WriteMeta(connection, transaction, "analyzer", _analyzer.Name);
            WriteMeta(connection, transaction, "generation", "0");
            WriteMeta(connection, transaction, "created_at", now);
            WriteMeta(connection, transaction, "updated_at", now);
            WriteMeta(connection, transaction, CollectionIdKey, NewCollectionId());
        }
        else if (meta.GetValueOrDefault("analyzer") != _analyzer.Name)
        {
            throw new SiftException(
                $"collection '{Name}' was indexed with analyzer '{meta.GetValueOrDefault("analyzer")}', this Sift uses '{_analyzer.Name}': re-ingest it into a new collection");
        }

        transaction.Commit();
        _collectionId = ReadMeta(connection, null).GetValueOrDefault(CollectionIdKey) ?? TryGiveCollectionId(connection);
    }

    /// <summary>Migrates the layout from <paramref name="from"/> to <see cref="SchemaVersion"/>, one step at a time.</summary>
    private static void Migrate(SqliteConnection connection, SqliteTransaction transaction, int from)
    {
        if (from < 2)
        {
            // Stores written before file stamps existed gain the column (null: those files are read once more, then stamped).
            if (Scalar(connection, "SELECT COUNT(*) FROM pragma_table_info('documents') WHERE name = 'file_stamp'", transaction) == 0)
            {
                Execute(connection, "ALTER TABLE documents ADD COLUMN file_stamp TEXT", transaction);
            }

            Execute(connection, """
                DROP INDEX IF EXISTS chunks_by_document;
                CREATE INDEX chunks_by_document ON chunks(document_id, ordinal);
                """, transaction);
        }

        if (from < 3)
        {
            MigrateToVersions(connection, transaction);
        }

        WriteMeta(connection, transaction, SchemaVersionKey, SchemaVersion.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>A store written by a newer Sift may hold what this one cannot read correctly: refuse it, naming both versions.</summary>
    private void RefuseNewer(int version)
    {
        if (version > SchemaVersion)
        {
            throw new SiftException(
                $"collection '{Name}' at {Folder} has schema version {version}, written by a newer Sift; this Sift reads versions up to {SchemaVersion}: upgrade Sift to open it");
        }
    }

    /// <summary>Gives a collection made before ids existed its id; a database that cannot be written keeps none.</summary>
    private static string? TryGiveCollectionId(SqliteConnection connection)
    {
        var id = NewCollectionId();
        try
        {
            using var command = Command(connection, null, "INSERT INTO meta(key, value) VALUES ($k, $v) ON CONFLICT(key) DO NOTHING", "$k", "$v");
            Run(command, CollectionIdKey, id);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == ReadOnlyError)
        {
            return null;
        }

        // Another process may have given it one first; theirs stands.
        return ReadMeta(connection, null)[CollectionIdKey];
    }

    private static string NewCollectionId() => Guid.NewGuid().ToString("N");

    /// <summary>The fingerprint of the chunker that last wrote the collection ("" before the first ingest).</summary>
    public string ChunkerFingerprint => ReadMetaValue(ChunkerKey) ?? "";

    public CollectionInfo Info()
    {
        using var connection = Connect();
        var meta = ReadMeta(connection, null);
        var documents = Scalar(connection, "SELECT COUNT(*) FROM documents");
        var chunks = Scalar(connection, "SELECT COUNT(*) FROM chunks");
        var bytes = Directory.EnumerateFiles(Folder).Sum(f => new FileInfo(f).Length);
        return new CollectionInfo(
            Name,
            Folder,
            documents,
            chunks,
            long.Parse(meta["generation"], CultureInfo.InvariantCulture),
            meta.GetValueOrDefault(ChunkerKey) ?? "",
            meta["analyzer"],
            meta.GetValueOrDefault(EmbedderSpecKey) ?? "",
            meta.GetValueOrDefault(EmbedderIdentityKey) ?? "",
            meta["created_at"],
            meta["updated_at"],
            bytes);
    }

    public IReadOnlyDictionary<string, StoredDocumentState> ListDocuments()
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id, source, content_hash, json_extract(metadata, '$.{Core.Filtering.AccessScope.MetadataKey}'), file_stamp FROM documents";
        using var reader = command.ExecuteReader();
        var documents = new Dictionary<string, StoredDocumentState>(StringComparer.Ordinal);
        while (reader.Read())
        {
            var id = reader.GetString(0);
            documents[id] = new StoredDocumentState(id, reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4));
        }

        return documents;
    }

    /// <remarks>
    /// Terms are analyzed a group of chunks at a time inside the transaction (CPU only, no waiting on anything), so a
    /// document of any size never has all its chunks' terms in memory at once.
    /// </remarks>
    public void Write(IReadOnlyList<DocumentChunks> batch)
    {
        var vectors = StoredVectors.Check(Name, ReadMetaValue(EmbedderIdentityKey), batch);

        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        using var archive = new RevisionArchive(connection, transaction);
        using var deleteEmbeddings = Command(connection, transaction, DeleteEmbeddingsSql, "$id");
        using var deleteChunks = Command(connection, transaction, "DELETE FROM chunks WHERE document_id = $id", "$id");
        using var insertEmbedding = Command(connection, transaction, "INSERT INTO embeddings(chunk_id, vector) VALUES (last_insert_rowid(), $vector)", "$vector");
        using var upsertDocument = Command(connection, transaction, """
            INSERT INTO documents(id, source, title, content_hash, metadata, chunk_count, ingested_at, file_stamp, rev)
            VALUES ($id, $source, $title, $hash, $metadata, $count, $at, $stamp, $rev)
            ON CONFLICT(id) DO UPDATE SET source = excluded.source, title = excluded.title,
                content_hash = excluded.content_hash, metadata = excluded.metadata,
                chunk_count = excluded.chunk_count, ingested_at = excluded.ingested_at, file_stamp = excluded.file_stamp,
                rev = excluded.rev
            """, "$id", "$source", "$title", "$hash", "$metadata", "$count", "$at", "$stamp", "$rev");
        using var insertChunk = Command(connection, transaction, """
            INSERT INTO chunks(document_id, ordinal, text, start_offset, end_offset, heading_path, page, content_hash, terms)
            VALUES ($doc, $ordinal, $text, $start, $end, $headings, $page, $hash, $terms)
            """, "$doc", "$ordinal", "$text", "$start", "$end", "$headings", "$page", "$hash", "$terms");

        var now = Timestamp();
        var opened = 0;
        void OpenUpTo(int document)
        {
            // A document's old chunks go and its row is written just before its first new chunk (or at the end).
            for (; opened <= document; opened++)
            {
                var (item, count) = (batch[opened], batch[opened].Chunks.Count);
                archive.Keep(item.Document.Id);
                Run(deleteEmbeddings, item.Document.Id);
                Run(deleteChunks, item.Document.Id);
                Run(upsertDocument, item.Document.Id, item.Document.Source, item.Document.Title, item.Document.ContentHash,
                    JsonSerializer.Serialize(item.Document.Metadata), count, now, item.FileStamp, archive.NextRevision());
            }
        }

        foreach (var (positions, terms) in ChunkTerms.Groups(_analyzer, batch))
        {
            for (var k = 0; k < positions.Count; k++)
            {
                var (i, c) = positions[k];
                OpenUpTo(i);
                var chunk = batch[i].Chunks[c];
                Run(insertChunk, batch[i].Document.Id, chunk.Ordinal, chunk.Text, chunk.Start, chunk.End,
                    JsonSerializer.Serialize(chunk.HeadingPath), chunk.Page, chunk.ContentHash, terms[k]);
                if (vectors)
                {
                    Run(insertEmbedding, ToBlob(batch[i].Vectors![c]!));
                }
            }
        }

        OpenUpTo(batch.Count - 1);
        BumpGeneration(connection, transaction);
        transaction.Commit();
    }

    public void Delete(IReadOnlyCollection<string> documentIds)
    {
        if (documentIds.Count == 0)
        {
            return;
        }

        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        using var archive = new RevisionArchive(connection, transaction);
        using var deleteEmbeddings = Command(connection, transaction, DeleteEmbeddingsSql, "$id");
        using var deleteChunks = Command(connection, transaction, "DELETE FROM chunks WHERE document_id = $id", "$id");
        using var deleteDocument = Command(connection, transaction, "DELETE FROM documents WHERE id = $id", "$id");
        foreach (var id in documentIds)
        {
            archive.Keep(id);
            Run(deleteEmbeddings, id);
            Run(deleteChunks, id);
            Run(deleteDocument, id);
        }

        BumpGeneration(connection, transaction);
        transaction.Commit();
    }

    public void RecordFileStamps(IReadOnlyList<(string DocumentId, string FileStamp)> stamps)
    {
        if (stamps.Count == 0)
        {
            return;
        }

        // Not a content change: the generation stays, so caches and indexes stay valid.
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        using var update = Command(connection, transaction, "UPDATE documents SET file_stamp = $stamp WHERE id = $id", "$stamp", "$id");
        foreach (var (id, stamp) in stamps)
        {
            Run(update, stamp, id);
        }

        transaction.Commit();
    }

    /// <summary>
    /// Ends an ingest run: records which chunker wrote the collection (shown by <c>collections info</c>) and folds the
    /// write-ahead log back into the database so the folder does not keep a large log file.
    /// </summary>
    public void FinishIngest(string chunkerFingerprint)
    {
        using (var connection = Connect())
        {
            WriteMeta(connection, null, ChunkerKey, chunkerFingerprint);
            Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        }

        RefreshIndexes();
    }

    /// <summary>
    /// Brings the index files (lexical, and vector when there is an embedder) up to the current generation, so the
    /// next search, in this process or a new one, does not rebuild them. Called after ingests and deletes.
    /// </summary>
    public void RefreshIndexes()
    {
        SaveLexicalFile();
        if (_embedder is not null)
        {
            DenseIndex();
        }
    }

    /// <summary>
    /// Every document's metadata and content hash. Documents mostly share a few metadata texts (one loader, the same
    /// --meta), so each distinct text is parsed once and its read-only dictionary shared.
    /// </summary>
    private static Dictionary<string, (IReadOnlyDictionary<string, string> Metadata, string ContentHash)> ReadDocuments(SqliteConnection connection, SqliteTransaction transaction)
    {
        var documents = new Dictionary<string, (IReadOnlyDictionary<string, string>, string)>(StringComparer.Ordinal);
        var parsed = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        using var command = Command(connection, transaction, "SELECT id, metadata, content_hash FROM documents");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var text = reader.GetString(1);
            if (!parsed.TryGetValue(text, out var metadata))
            {
                metadata = parsed[text] = JsonSerializer.Deserialize<Dictionary<string, string>>(text)!;
            }

            documents[reader.GetString(0)] = (metadata, reader.GetString(2));
        }

        return documents;
    }

    private static Dictionary<string, IReadOnlyDictionary<string, string>> ReadDocumentMetadata(SqliteConnection connection, SqliteTransaction transaction) =>
        ReadDocuments(connection, transaction).ToDictionary(d => d.Key, d => d.Value.Metadata, StringComparer.Ordinal);

    /// <summary>The content version: it changes with every write, so caches keyed by it never serve stale results.</summary>
    public long Generation
    {
        get
        {
            lock (_indexLock)
            {
                return CurrentGeneration();
            }
        }
    }

    /// <summary>
    /// SQLite's <c>data_version</c> on the held connection: it changes whenever another connection (this process's or
    /// another's) commits to the database, so what was read at one value is still current at the same value.
    /// </summary>
    private long DataVersion()
    {
        lock (_indexLock)
        {
            CurrentGeneration(); // opens the held connection when needed
            using var command = Command(_generationConnection!, null, "PRAGMA data_version");
            return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
    }

    private long CurrentGeneration()
    {
        if (_generationQuery is null)
        {
            _generationConnection = Connect();
            _generationQuery = Command(_generationConnection, null, GenerationSql);
        }

        return Convert.ToInt64(_generationQuery.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Stored chunks by id, with their document's title and source, in the order asked.</summary>
    public IReadOnlyList<StoredChunk> GetChunks(IReadOnlyList<long> chunkIds)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT c.id, c.document_id, d.source, d.title, c.text, c.start_offset, c.end_offset, c.heading_path, c.page
            FROM chunks c JOIN documents d ON d.id = c.document_id
            WHERE c.id IN (SELECT value FROM json_each($ids))
            """;
        command.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(chunkIds));
        using var reader = command.ExecuteReader();
        return StoredRows.ChunksInOrder(reader, chunkIds);
    }

    /// <summary>Every chunk id, ascending (to sample chunks, e.g. when drafting a test set).</summary>
    public IReadOnlyList<long> ChunkIds()
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM chunks ORDER BY id";
        using var reader = command.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    /// <summary>Runs SQLite's own consistency check; "ok" when the file is sound.</summary>
    public string CheckIntegrity()
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string)command.ExecuteScalar()!;
    }

    /// <summary>Closes pooled connections so the collection's files are released.</summary>
    public void Dispose()
    {
        lock (_indexLock)
        {
            _generationQuery?.Dispose();
            _generationConnection?.Dispose();
            (_generationQuery, _generationConnection) = (null, null);
        }

        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    ILexicalIndex IChunkStore.LexicalIndex(Bm25Parameters parameters) => LexicalIndex(parameters);

    IDenseIndex IChunkStore.DenseIndex() => DenseIndex();

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        if (!IsReadOnly)
        {
            Execute(connection, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
        }

        return connection;
    }

    private static void BumpGeneration(SqliteConnection connection, SqliteTransaction transaction)
    {
        Execute(connection, "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'", transaction);
        WriteMeta(connection, transaction, "updated_at", Timestamp());
    }

    private static Dictionary<string, string> ReadMeta(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var command = Command(connection, transaction, "SELECT key, value FROM meta");
        using var reader = command.ExecuteReader();
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            meta[reader.GetString(0)] = reader.GetString(1);
        }

        return meta;
    }

    private static void WriteMeta(SqliteConnection connection, SqliteTransaction? transaction, string key, string value)
    {
        using var command = Command(connection, transaction,
            "INSERT INTO meta(key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value", "$k", "$v");
        Run(command, key, value);
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = parameter });
        }

        return command;
    }

    private static void Run(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        command.ExecuteNonQuery();
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = Command(connection, transaction, sql);
        command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = Command(connection, transaction, sql);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static string Timestamp() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
}
