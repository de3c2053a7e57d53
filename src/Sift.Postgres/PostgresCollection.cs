using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Npgsql;
using NpgsqlTypes;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Index.Storage;

namespace Sift.Postgres;

/// <summary>
/// One collection in a PostgreSQL store. Rows live in the shared tables under the collection's key; vectors in
/// <c>sift_vectors_KEY</c> with a pgvector HNSW index. BM25 is computed in memory from the stored terms with the same
/// code as the embedded store (so results are identical), rebuilt when the generation moves; vector search runs in
/// SQL, with metadata filters and access lists inside the index scan.
/// </summary>
public sealed partial class PostgresCollection : IChunkStore
{
    private const string ChunkerKey = "chunker";
    private const string EmbedderSpecKey = "embedder_spec";
    private const string EmbedderIdentityKey = "embedder";
    private const string SourceRootsKey = "source_roots";

    private readonly NpgsqlDataSource _data;
    private readonly ChangeFeed _feed;
    private long _key;
    private readonly Lock _indexLock = new();
    private LexicalSnapshot? _lexical;
    private (long Generation, CollectionSettings Settings)? _settings;
    private IEmbeddingGenerator<string, Embedding<float>>? _embedder;

    private PostgresCollection(NpgsqlDataSource data, ChangeFeed feed, long key, string name, string storeLocation)
    {
        _data = data;
        _feed = feed;
        _key = key;
        Name = name;
        Location = $"{storeLocation}#{name}";
    }

    public string Name { get; }

    public string Location { get; }

    public bool IsReadOnly => false;

    internal static PostgresCollection Open(NpgsqlDataSource data, ChangeFeed feed, string name, string storeLocation, ITextAnalyzer analyzer, Action<string>? warn)
    {
        _ = warn; // nothing here repairs itself: there are no index files to refuse
        using var connection = data.OpenConnection();
        using var command = new NpgsqlCommand("SELECT key, analyzer FROM sift_collections WHERE name = $1", connection);
        command.Parameters.AddWithValue(name);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw new SiftException($"unknown collection '{name}'");
        }

        var (key, recorded) = (reader.GetInt64(0), reader.GetString(1));
        if (recorded != analyzer.Name)
        {
            throw new SiftException($"collection '{name}' was indexed with analyzer '{recorded}', this Sift uses '{analyzer.Name}': re-ingest it into a new collection");
        }

        return new PostgresCollection(data, feed, key, name, storeLocation) { _analyzer = analyzer };
    }

    private ITextAnalyzer _analyzer = null!;

    /// <summary>The table holding one collection's vectors (its key is a number, so the name needs no quoting).</summary>
    internal static string VectorTable(long key) => $"sift_vectors_{key.ToString(CultureInfo.InvariantCulture)}";

    private string Vectors => VectorTable(_key);

    /// <summary>
    /// The generation: from the change feed when it is live (no round trip; another server's change arrives with its
    /// notification), else read from the database.
    /// </summary>
    public long Generation
    {
        get
        {
            if (_feed.TryGet(_key, out var generation) && generation != ChangeFeed.Deleted)
            {
                return generation;
            }

            using var connection = _data.OpenConnection();
            return ReadGeneration(connection, null);
        }
    }

    private long ReadGeneration(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        var readAt = ChangeFeed.Now;
        using var command = new NpgsqlCommand("SELECT generation FROM sift_collections WHERE key = $1", connection, transaction);
        command.Parameters.AddWithValue(_key);
        if (command.ExecuteScalar() is not long generation)
        {
            // Deleted, perhaps through another server, and perhaps created again under the same name: follow the name.
            if (transaction is not null || !Reattach(connection))
            {
                throw new SiftException($"collection '{Name}' was deleted");
            }

            return ReadGeneration(connection, null);
        }

        _feed.Observe(_key, generation, readAt);
        return generation;
    }

    /// <summary>Points this handle at the collection now holding its name, forgetting what it cached of the old one.</summary>
    private bool Reattach(NpgsqlConnection connection)
    {
        using var command = new NpgsqlCommand("SELECT key FROM sift_collections WHERE name = $1", connection);
        command.Parameters.AddWithValue(Name);
        if (command.ExecuteScalar() is not long key || key == _key)
        {
            return false;
        }

        lock (_indexLock)
        {
            (_key, _lexical, _settings, _hasVectorTable) = (key, null, null, false);
        }

        return true;
    }

    public CollectionSettings Settings
    {
        get
        {
            var generation = Generation;
            if (_settings is { } cached && cached.Generation == generation)
            {
                return cached.Settings;
            }

            var settings = SettingsMeta.Read(ReadMeta());
            _settings = (generation, settings);
            return settings;
        }
    }

    public void Configure(CollectionSettings settings)
    {
        SettingsMeta.Validate(Name, settings);
        var before = Settings;
        using (var connection = _data.OpenConnection())
        using (var transaction = connection.BeginTransaction())
        {
            LockRow(connection, transaction);
            foreach (var (key, value) in SettingsMeta.Entries(settings))
            {
                WriteMeta(connection, transaction, key, value);
            }

            if (SettingsMeta.ReshapesGraph(before, settings))
            {
                Execute(connection, transaction, $"DROP INDEX IF EXISTS {Vectors}_hnsw");
            }

            Commit(transaction, BumpGeneration(connection, transaction));
        }

        EnsureVectorIndex();
    }

    public string ChunkerFingerprint => ReadMeta().GetValueOrDefault(ChunkerKey) ?? "";

    public IReadOnlyList<string> SourceRoots =>
        ReadMeta().GetValueOrDefault(SourceRootsKey) is { } roots ? JsonSerializer.Deserialize<string[]>(roots)! : [];

    public void AddSourceRoot(string folder)
    {
        if (StoredRows.WithSourceRoot(SourceRoots, folder) is { } roots)
        {
            using var connection = _data.OpenConnection();
            WriteMeta(connection, null, SourceRootsKey, JsonSerializer.Serialize(roots));
        }
    }

    public string? EmbedderSpec => ReadMeta().GetValueOrDefault(EmbedderSpecKey);

    public IEmbeddingGenerator<string, Embedding<float>>? Embedder => _embedder;

    public void UseEmbedder(string spec, IEmbeddingGenerator<string, Embedding<float>>? embedder)
    {
        var identity = embedder is null ? StoredVectors.NoEmbedder : Embedders.Identity(embedder);
        using (var connection = _data.OpenConnection())
        using (var transaction = connection.BeginTransaction())
        {
            LockRow(connection, transaction);
            var meta = ReadMeta(connection, transaction);
            if (StoredRows.RecordEmbedder(Name, meta.GetValueOrDefault(EmbedderIdentityKey), meta.GetValueOrDefault(EmbedderSpecKey), identity, () =>
                {
                    using var any = Command(connection, transaction, "SELECT EXISTS (SELECT 1 FROM sift_chunks WHERE collection = $1)", _key);
                    return (bool)any.ExecuteScalar()!;
                }))
            {
                WriteMeta(connection, transaction, EmbedderSpecKey, embedder is null ? StoredVectors.NoEmbedder : spec);
                WriteMeta(connection, transaction, EmbedderIdentityKey, identity);
            }

            transaction.Commit();
        }

        _embedder = embedder;
    }

    public CollectionInfo Info()
    {
        using var connection = _data.OpenConnection();
        using var command = Command(connection, null, """
            SELECT c.generation, c.analyzer, c.meta::text, c.created_at, c.updated_at, c.dimensions,
                (SELECT COUNT(*) FROM sift_documents WHERE collection = c.key),
                (SELECT COUNT(*) FROM sift_chunks WHERE collection = c.key),
                (SELECT COALESCE(SUM(pg_column_size(d.*)), 0) FROM sift_documents d WHERE d.collection = c.key)
                + (SELECT COALESCE(SUM(pg_column_size(k.*)), 0) FROM sift_chunks k WHERE k.collection = c.key)
                + COALESCE(pg_total_relation_size(to_regclass($2)), 0)
            FROM sift_collections c WHERE c.key = $1
            """, _key, Vectors);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw new SiftException($"collection '{Name}' was deleted");
        }

        var meta = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(2))!;
        return new CollectionInfo(
            Name, Location, reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(0), meta.GetValueOrDefault(ChunkerKey) ?? "",
            reader.GetString(1), meta.GetValueOrDefault(EmbedderSpecKey) ?? "", meta.GetValueOrDefault(EmbedderIdentityKey) ?? "",
            Timestamp(reader.GetFieldValue<DateTime>(3)), Timestamp(reader.GetFieldValue<DateTime>(4)), Convert.ToInt64(reader.GetValue(8), CultureInfo.InvariantCulture));
    }

    public IReadOnlyDictionary<string, StoredDocumentState> ListDocuments()
    {
        using var connection = _data.OpenConnection();
        using var command = Command(connection, null,
            $"SELECT id, source, content_hash, metadata->>'{AccessScope.MetadataKey}', file_stamp FROM sift_documents WHERE collection = $1", _key);
        using var reader = command.ExecuteReader();
        var documents = new Dictionary<string, StoredDocumentState>(StringComparer.Ordinal);
        while (reader.Read())
        {
            var id = reader.GetString(0);
            documents[id] = new StoredDocumentState(id, reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4));
        }

        return documents;
    }

    public IReadOnlyList<DocumentRecord> Documents(MetadataFilter? filter = null)
    {
        using var connection = _data.OpenConnection();
        using var command = Command(connection, null,
            "SELECT id, source, title, content_hash, metadata::text, chunk_count, ingested_at FROM sift_documents WHERE collection = $1 ORDER BY id COLLATE \"C\"", _key);
        using var reader = command.ExecuteReader();
        var documents = new List<DocumentRecord>();
        while (reader.Read())
        {
            var document = ReadDocument(reader);
            if (filter is null || filter.Matches(document.Metadata))
            {
                documents.Add(document);
            }
        }

        return documents;
    }

    public (DocumentRecord Document, IReadOnlyList<StoredChunk> Chunks)? Document(string id)
    {
        using var connection = _data.OpenConnection();
        DocumentRecord document;
        using (var command = Command(connection, null,
            "SELECT id, source, title, content_hash, metadata::text, chunk_count, ingested_at FROM sift_documents WHERE collection = $1 AND id = $2", _key, id))
        using (var reader = command.ExecuteReader())
        {
            if (!reader.Read())
            {
                return null;
            }

            document = ReadDocument(reader);
        }

        var chunkIds = new List<long>();
        using (var command = Command(connection, null, "SELECT id FROM sift_chunks WHERE collection = $1 AND document_id = $2 ORDER BY ordinal", _key, id))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                chunkIds.Add(reader.GetInt64(0));
            }
        }

        return (document, GetChunks(chunkIds));
    }

    public IReadOnlyList<StoredChunk> GetChunks(IReadOnlyList<long> chunkIds)
    {
        if (chunkIds.Count == 0)
        {
            return [];
        }

        using var connection = _data.OpenConnection();
        using var command = Command(connection, null, """
            SELECT c.id, c.document_id, d.source, d.title, c.text, c.start_offset, c.end_offset, c.heading_path, c.page
            FROM sift_chunks c JOIN sift_documents d ON d.collection = c.collection AND d.id = c.document_id
            WHERE c.collection = $1 AND c.id = ANY($2)
            """, _key, chunkIds.ToArray());
        using var reader = command.ExecuteReader();
        return StoredRows.ChunksInOrder(reader, chunkIds);
    }

    public IReadOnlyList<long> ChunkIds()
    {
        using var connection = _data.OpenConnection();
        using var command = Command(connection, null, "SELECT id FROM sift_chunks WHERE collection = $1 ORDER BY id", _key);
        using var reader = command.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    public void FinishIngest(string chunkerFingerprint)
    {
        using (var connection = _data.OpenConnection())
        {
            WriteMeta(connection, null, ChunkerKey, chunkerFingerprint);
        }

        RefreshIndexes();
    }

    public void RefreshIndexes()
    {
        LexicalIndex(Bm25Parameters.Default);
        EnsureVectorIndex();
    }

    public void Dispose()
    {
        // The connections belong to the store's pool; a collection holds only its in-memory lexical index.
        lock (_indexLock)
        {
            _lexical = null;
        }
    }

    /// <summary>Serialises writers of this collection (and its generation) across every server on the database.</summary>
    private int? LockRow(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        using var command = Command(connection, transaction, "SELECT dimensions FROM sift_collections WHERE key = $1 FOR UPDATE", _key);
        using var reader = command.ExecuteReader();
        return !reader.Read() ? throw new SiftException($"collection '{Name}' was deleted") : reader.IsDBNull(0) ? null : reader.GetInt32(0);
    }

    private long BumpGeneration(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        using var command = Command(connection, transaction,
            "UPDATE sift_collections SET generation = generation + 1, updated_at = now() WHERE key = $1 RETURNING generation", _key);
        var generation = (long)command.ExecuteScalar()!;
        // Servers listening hear of the change at commit (this one included); those that are not read it on their next check.
        using var notify = Command(connection, transaction, $"SELECT pg_notify('{ChangeFeed.Channel}', $1)", $"{_key.ToString(CultureInfo.InvariantCulture)}:{generation.ToString(CultureInfo.InvariantCulture)}");
        notify.ExecuteNonQuery();
        return generation;
    }

    /// <summary>Commits a write and makes its generation current here at once (others hear it from the feed).</summary>
    private void Commit(NpgsqlTransaction transaction, long generation)
    {
        var committedAt = ChangeFeed.Now;
        transaction.Commit();
        _feed.Observe(_key, generation, committedAt);
    }

    private Dictionary<string, string> ReadMeta()
    {
        using var connection = _data.OpenConnection();
        return ReadMeta(connection, null);
    }

    private Dictionary<string, string> ReadMeta(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        using var command = Command(connection, transaction, "SELECT meta::text FROM sift_collections WHERE key = $1", _key);
        return command.ExecuteScalar() is string text
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(text)!
            : throw new SiftException($"collection '{Name}' was deleted");
    }

    private void WriteMeta(NpgsqlConnection connection, NpgsqlTransaction? transaction, string key, string? value)
    {
        using var command = value is null
            ? Command(connection, transaction, "UPDATE sift_collections SET meta = meta - $2 WHERE key = $1", _key, key)
            : Command(connection, transaction, "UPDATE sift_collections SET meta = meta || jsonb_build_object($2::text, $3::text) WHERE key = $1", _key, key, value);
        command.ExecuteNonQuery();
    }

    private static DocumentRecord ReadDocument(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
        JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(4))!, reader.GetInt32(5), Timestamp(reader.GetFieldValue<DateTime>(6)));

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object[] values)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }

    private static string Timestamp(DateTime value) => new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc)).ToString("O", CultureInfo.InvariantCulture);

    private static string[]? AccessList(IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue(AccessScope.MetadataKey, out var list) && !string.IsNullOrWhiteSpace(list)
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : null;

    private static NpgsqlDbType TextArray => NpgsqlDbType.Array | NpgsqlDbType.Text;
}
