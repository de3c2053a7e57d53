using System.Globalization;
using System.Text.Json;
using Npgsql;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Storage;
using Sift.Index.Storage;

namespace Sift.Postgres;

/// <summary>
/// Versions of a PostgreSQL collection, as on the embedded store: document revisions are numbered (one sequence for the
/// database), a version is the varint list of the revisions it holds (<see cref="RevisionSet"/>), and a revision a sealed
/// version may hold moves to <c>sift_archived_*</c> before a write replaces it. Every server on the database sees the
/// same versions and aliases.
/// </summary>
public sealed partial class PostgresCollection
{
    private const string SealedRevisionKey = "sealed_rev";

    private readonly VersionIndexCache _versionIndexes = new();

    public IVersionCatalog? Versions => _versions ??= new Catalog(this);

    private Catalog? _versions;

    private sealed class Catalog(PostgresCollection collection) : IVersionCatalog
    {
        private long Key => collection._key;

        public IReadOnlyList<VersionRecord> List()
        {
            using var connection = collection._data.OpenConnection();
            return Records(connection, null, "SELECT record::text FROM sift_versions WHERE collection = $1 ORDER BY id", Key);
        }

        public VersionRecord? Find(long id)
        {
            using var connection = collection._data.OpenConnection();
            return Records(connection, null, "SELECT record::text FROM sift_versions WHERE collection = $1 AND id = $2", Key, id).FirstOrDefault();
        }

        public VersionRecord Commit(VersionChange change, string? alias)
        {
            if (alias is not null)
            {
                VersionAliases.Validate(alias);
            }

            using var connection = collection._data.OpenConnection();
            using var transaction = connection.BeginTransaction();
            collection.LockRow(connection, transaction);
            var meta = collection.ReadMeta(connection, transaction);
            var revisions = Longs(connection, transaction, "SELECT rev FROM sift_documents WHERE collection = $1 ORDER BY rev", Key);
            var manifest = RevisionSet.Encode(revisions);
            var settings = SettingsMeta.Read(meta);
            var chunker = meta.GetValueOrDefault(ChunkerKey) ?? "";
            var embedder = meta.GetValueOrDefault(EmbedderIdentityKey) ?? StoredVectors.NoEmbedder;
            var newest = Records(connection, transaction, "SELECT record::text FROM sift_versions WHERE collection = $1 ORDER BY id DESC LIMIT 1", Key).FirstOrDefault();
            VersionRecord result;
            long? generation = null;
            if (newest is not null && newest.Settings == settings && newest.Chunker == chunker && newest.Embedder == embedder
                && Manifest(connection, transaction, newest.Id).AsSpan().SequenceEqual(manifest))
            {
                result = newest;
            }
            else
            {
                generation = collection.BumpGeneration(connection, transaction);
                using var counts = Command(connection, transaction, "SELECT COUNT(*) FROM sift_chunks WHERE collection = $1", Key);
                var chunks = (long)counts.ExecuteScalar()!;
                using var analyzer = Command(connection, transaction, "SELECT analyzer FROM sift_collections WHERE key = $1", Key);
                result = new VersionRecord(
                    (newest?.Id ?? 0) + 1, newest?.Id, change.Change, DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture), change.By, change.Note,
                    revisions.Count, chunks, chunker, embedder, (string)analyzer.ExecuteScalar()!, SiftBuild.Version, settings, change.Prompts ?? [], generation.Value);
                using var insert = Command(connection, transaction, "INSERT INTO sift_versions(collection, id, record, manifest) VALUES ($1, $2, $3::jsonb, $4)",
                    Key, result.Id, JsonSerializer.Serialize(result), manifest);
                insert.ExecuteNonQuery();
                collection.WriteMeta(connection, transaction, SealedRevisionKey, (revisions.Count == 0 ? 0 : revisions[^1]).ToString(CultureInfo.InvariantCulture));
            }

            if (alias is not null && generation is not null)
            {
                // Only a new version moves the alias: an ingest that changed nothing must not undo a rollback.
                Move(connection, transaction, alias, result.Id, change.By, $"{change.Change} made version {result.Id}");
            }

            if (generation is { } sealedAt)
            {
                collection.Commit(transaction, sealedAt);
            }
            else
            {
                transaction.Commit();
            }

            return result;
        }

        public IReadOnlyDictionary<string, long> Aliases()
        {
            using var connection = collection._data.OpenConnection();
            using var command = Command(connection, null, "SELECT name, version FROM sift_aliases WHERE collection = $1 ORDER BY name COLLATE \"C\"", Key);
            using var reader = command.ExecuteReader();
            return StoredRows.ReadAll(reader, r => (Name: r.GetString(0), Version: r.GetInt64(1))).ToDictionary(a => a.Name, a => a.Version, StringComparer.Ordinal);
        }

        public void MoveAlias(string alias, long version, string by, string reason)
        {
            VersionAliases.Validate(alias);
            using var connection = collection._data.OpenConnection();
            using var transaction = connection.BeginTransaction();
            collection.LockRow(connection, transaction);
            if (Longs(connection, transaction, "SELECT id FROM sift_versions WHERE collection = $1 AND id = $2", Key, version).Count == 0)
            {
                throw VersionAliases.NoSuchVersion(collection.Name, version);
            }

            Move(connection, transaction, alias, version, by, reason);
            transaction.Commit();
        }

        public void DeleteAlias(string alias)
        {
            using var connection = collection._data.OpenConnection();
            using var command = Command(connection, null, "DELETE FROM sift_aliases WHERE collection = $1 AND name = $2", Key, alias);
            command.ExecuteNonQuery();
        }

        public IReadOnlyList<AliasMove> AliasHistory(string alias)
        {
            using var connection = collection._data.OpenConnection();
            using var command = Command(connection, null,
                "SELECT alias, version, previous, at, by_, reason FROM sift_alias_moves WHERE collection = $1 AND alias = $2 ORDER BY id DESC", Key, alias);
            using var reader = command.ExecuteReader();
            return StoredRows.ReadAll(reader, StoredRows.ReadMove);
        }

        public IChunkStore Open(long version)
        {
            var record = Find(version) ?? throw VersionAliases.NoSuchVersion(collection.Name, version);
            using var connection = collection._data.OpenConnection();
            return new VersionView(collection, record, RevisionSet.Decode(Manifest(connection, null, version)), new Rows(collection), collection._versionIndexes);
        }

        public void AttachReport(long version, string kind, string json)
        {
            using var connection = collection._data.OpenConnection();
            using var command = Command(connection, null,
                "INSERT INTO sift_version_reports(collection, version, kind, created_at, report) VALUES ($1, $2, $3, $4, $5)",
                Key, version, kind, DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture), json);
            command.ExecuteNonQuery();
        }

        public IReadOnlyList<VersionReport> Reports(long version)
        {
            using var connection = collection._data.OpenConnection();
            using var command = Command(connection, null,
                "SELECT kind, created_at, report FROM sift_version_reports WHERE collection = $1 AND version = $2 ORDER BY id", Key, version);
            using var reader = command.ExecuteReader();
            return StoredRows.ReadAll(reader, StoredRows.ReadReport);
        }

        public VersionCollection Collect(VersionRetention retention)
        {
            using var connection = collection._data.OpenConnection();
            using var transaction = connection.BeginTransaction();
            collection.LockRow(connection, transaction);
            var (kept, deleted) = retention.Split(
                Longs(connection, transaction, "SELECT id FROM sift_versions WHERE collection = $1 ORDER BY id", Key),
                Longs(connection, transaction, "SELECT version FROM sift_aliases WHERE collection = $1", Key));
            var held = kept.SelectMany(id => RevisionSet.Decode(Manifest(connection, transaction, id))).ToHashSet();
            var unheld = Longs(connection, transaction, "SELECT rev FROM sift_archived_documents WHERE collection = $1", Key).Where(r => !held.Contains(r)).ToArray();
            var chunks = Longs(connection, transaction, "SELECT COUNT(*) FROM sift_archived_chunks WHERE rev = ANY($1)", unheld)[0];
            foreach (var (sql, values) in new[]
            {
                ("DELETE FROM sift_archived_documents WHERE collection = $1 AND rev = ANY($2)", unheld), // chunks follow by cascade
                ("DELETE FROM sift_versions WHERE collection = $1 AND id = ANY($2)", deleted.ToArray()),
                ("DELETE FROM sift_version_reports WHERE collection = $1 AND version = ANY($2)", deleted.ToArray()),
            })
            {
                using var delete = Command(connection, transaction, sql, Key, values);
                delete.ExecuteNonQuery();
            }

            transaction.Commit();
            return new VersionCollection(deleted, unheld.Length, chunks);
        }

        private void Move(NpgsqlConnection connection, NpgsqlTransaction transaction, string alias, long version, string by, string reason)
        {
            var before = Longs(connection, transaction, "SELECT version FROM sift_aliases WHERE collection = $1 AND name = $2", Key, alias).Cast<long?>().FirstOrDefault();
            if (before == version)
            {
                return;
            }

            var at = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
            using var upsert = Command(connection, transaction, """
                INSERT INTO sift_aliases(collection, name, version, updated_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (collection, name) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at;
                """, Key, alias, version, at);
            upsert.ExecuteNonQuery();
            using var log = Command(connection, transaction,
                "INSERT INTO sift_alias_moves(collection, alias, version, previous, at, by_, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                Key, alias, version, before is { } previous ? previous : DBNull.Value, at, by, reason);
            log.ExecuteNonQuery();
        }

        private byte[] Manifest(NpgsqlConnection connection, NpgsqlTransaction? transaction, long version)
        {
            using var command = Command(connection, transaction, "SELECT manifest FROM sift_versions WHERE collection = $1 AND id = $2", Key, version);
            return command.ExecuteScalar() as byte[]
                ?? throw VersionAliases.NoSuchVersion(collection.Name, version);
        }

        private static List<VersionRecord> Records(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object[] values)
        {
            using var command = Command(connection, transaction, sql, values);
            using var reader = command.ExecuteReader();
            return StoredRows.ReadAll(reader, r => JsonSerializer.Deserialize<VersionRecord>(r.GetString(0))!);
        }
    }

    /// <summary>A version's rows in the database: the collection's tables and the archive, restricted to its revisions.</summary>
    private sealed class Rows(PostgresCollection collection) : IVersionRows
    {
        private const string DocumentColumns = "id, source, title, content_hash, metadata::text, chunk_count, ingested_at";

        private long Key => collection._key;

        public IReadOnlyList<DocumentRecord> Documents(long[] revisions)
        {
            using var connection = collection._data.OpenConnection();
            using var command = Command(connection, null, $"""
                SELECT * FROM (
                    SELECT {DocumentColumns} FROM sift_documents WHERE collection = $1 AND rev = ANY($2)
                    UNION ALL
                    SELECT {DocumentColumns} FROM sift_archived_documents WHERE collection = $1 AND rev = ANY($2)) held
                ORDER BY id COLLATE "C"
                """, Key, revisions);
            using var reader = command.ExecuteReader();
            return StoredRows.ReadAll(reader, r => ReadDocument((NpgsqlDataReader)r));
        }

        public (DocumentRecord Document, IReadOnlyList<long> ChunkIds)? Document(string id, long[] revisions)
        {
            using var connection = collection._data.OpenConnection();
            DocumentRecord document;
            long revision;
            bool archived;
            using (var command = Command(connection, null, $"""
                SELECT {DocumentColumns}, rev, false FROM sift_documents WHERE collection = $1 AND id = $2 AND rev = ANY($3)
                UNION ALL
                SELECT {DocumentColumns}, rev, true FROM sift_archived_documents WHERE collection = $1 AND id = $2 AND rev = ANY($3)
                """, Key, id, revisions))
            using (var reader = command.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return null;
                }

                (document, revision, archived) = (ReadDocument(reader), reader.GetInt64(7), reader.GetBoolean(8));
            }

            using var chunks = archived
                ? Command(connection, null, "SELECT id FROM sift_archived_chunks WHERE rev = $1 ORDER BY ordinal", revision)
                : Command(connection, null, "SELECT id FROM sift_chunks WHERE collection = $1 AND document_id = $2 ORDER BY ordinal", Key, id);
            using var rows = chunks.ExecuteReader();
            return (document, StoredRows.ReadAll(rows, r => r.GetInt64(0)));
        }

        public IReadOnlyList<(StoredChunk Chunk, long Revision)> Chunks(IReadOnlyList<long> chunkIds)
        {
            using var connection = collection._data.OpenConnection();
            using var command = Command(connection, null, """
                SELECT c.id, c.document_id, d.source, d.title, c.text, c.start_offset, c.end_offset, c.heading_path, c.page, d.rev
                FROM sift_chunks c JOIN sift_documents d ON d.collection = c.collection AND d.id = c.document_id
                WHERE c.collection = $1 AND c.id = ANY($2)
                UNION ALL
                SELECT c.id, c.document_id, d.source, d.title, c.text, c.start_offset, c.end_offset, c.heading_path, c.page, c.rev
                FROM sift_archived_chunks c JOIN sift_archived_documents d ON d.rev = c.rev
                WHERE d.collection = $1 AND c.id = ANY($2)
                """, Key, chunkIds.ToArray());
            using var reader = command.ExecuteReader();
            return StoredRows.ReadAll(reader, r => (StoredRows.ReadChunk(r), r.GetInt64(9)));
        }

        public IReadOnlyList<(long ChunkId, string DocumentId, string Terms)> LexicalRows(long[] revisions)
        {
            using var connection = collection._data.OpenConnection();
            using var command = Command(connection, null, """
                SELECT id, document_id, terms FROM (
                    SELECT c.id, c.document_id, c.terms, c.ordinal FROM sift_chunks c JOIN sift_documents d ON d.collection = c.collection AND d.id = c.document_id
                    WHERE c.collection = $1 AND d.rev = ANY($2)
                    UNION ALL
                    SELECT c.id, c.document_id, c.terms, c.ordinal FROM sift_archived_chunks c JOIN sift_archived_documents d ON d.rev = c.rev
                    WHERE d.collection = $1 AND c.rev = ANY($2)) held
                ORDER BY document_id COLLATE "C", ordinal
                """, Key, revisions);
            using var reader = command.ExecuteReader();
            return StoredRows.ReadAll(reader, r => (r.GetInt64(0), r.GetString(1), r.GetString(2)));
        }

        public IReadOnlyList<(long ChunkId, float[] Vector)> Vectors(long[] revisions)
        {
            using var connection = collection._data.OpenConnection();
            var dimensions = Longs(connection, null, "SELECT COALESCE(dimensions, 0) FROM sift_collections WHERE key = $1", Key);
            var current = dimensions is [> 0]
                ? $"""
                  SELECT v.chunk_id, v.embedding::real[] FROM {collection.Vectors} v JOIN sift_chunks c ON c.id = v.chunk_id
                  JOIN sift_documents d ON d.collection = c.collection AND d.id = c.document_id WHERE d.rev = ANY($2)
                  UNION ALL
                  """
                : "";
            using var command = Command(connection, null, $"""
                {current}
                SELECT c.id, c.embedding FROM sift_archived_chunks c JOIN sift_archived_documents d ON d.rev = c.rev
                WHERE d.collection = $1 AND c.rev = ANY($2) AND c.embedding IS NOT NULL
                ORDER BY 1
                """, Key, revisions);
            using var reader = command.ExecuteReader();
            return StoredRows.ReadAll(reader, r => (r.GetInt64(0), r.GetFieldValue<float[]>(1)));
        }
    }

    /// <summary>The first column of every row, as numbers.</summary>
    private static List<long> Longs(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object[] values)
    {
        using var command = Command(connection, transaction, sql, values);
        using var reader = command.ExecuteReader();
        return StoredRows.ReadAll(reader, r => r.GetInt64(0));
    }
}
