using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Sift.Core;
using Sift.Core.Storage;

namespace Sift.Index.Storage;

/// <summary>
/// Versions of an embedded collection. The tables <c>documents</c>, <c>chunks</c> and <c>embeddings</c> hold the
/// working state; every document revision has a number, and a version is the list of revision numbers it holds (see
/// <see cref="RevisionSet"/>). When a write replaces or deletes a revision that a sealed version may hold, its rows move
/// to the <c>archived_*</c> tables first, keeping their chunk ids, so a version reads the same rows forever while
/// unchanged revisions stay where they are, shared by every version that holds them.
/// </summary>
public sealed partial class Collection
{
    private const string SealedRevisionKey = "sealed_rev";

    /// <summary>The catalog; null only for a read-only copy written before versions existed (its layout has no version tables).</summary>
    public IVersionCatalog? Versions => _readOnlySchema < 3 ? null : _versions ??= new VersionCatalog(this);

    private VersionCatalog? _versions;

    private static void MigrateToVersions(SqliteConnection connection, SqliteTransaction transaction)
    {
        if (Scalar(connection, "SELECT COUNT(*) FROM pragma_table_info('documents') WHERE name = 'rev'", transaction) == 0)
        {
            Execute(connection, "ALTER TABLE documents ADD COLUMN rev INTEGER", transaction);
        }

        Execute(connection, """
            UPDATE documents SET rev = rowid WHERE rev IS NULL;
            CREATE UNIQUE INDEX IF NOT EXISTS documents_by_rev ON documents(rev);
            CREATE TABLE IF NOT EXISTS archived_documents(
                rev INTEGER PRIMARY KEY, id TEXT NOT NULL, source TEXT NOT NULL, title TEXT NOT NULL, content_hash TEXT NOT NULL,
                metadata TEXT NOT NULL, chunk_count INTEGER NOT NULL, ingested_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS archived_chunks(
                id INTEGER PRIMARY KEY, rev INTEGER NOT NULL, document_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
                text TEXT NOT NULL, start_offset INTEGER NOT NULL, end_offset INTEGER NOT NULL,
                heading_path TEXT NOT NULL, page INTEGER, content_hash TEXT NOT NULL, terms TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS archived_chunks_by_rev ON archived_chunks(rev, ordinal);
            CREATE TABLE IF NOT EXISTS archived_embeddings(chunk_id INTEGER PRIMARY KEY, vector BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS versions(
                id INTEGER PRIMARY KEY, parent INTEGER, change TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL,
                note TEXT, documents INTEGER NOT NULL, chunks INTEGER NOT NULL, chunker TEXT NOT NULL, embedder TEXT NOT NULL,
                analyzer TEXT NOT NULL, sift_version TEXT NOT NULL, settings TEXT NOT NULL, prompts TEXT NOT NULL,
                generation INTEGER NOT NULL, manifest BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS aliases(name TEXT PRIMARY KEY, version INTEGER NOT NULL, updated_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS alias_moves(
                id INTEGER PRIMARY KEY AUTOINCREMENT, alias TEXT NOT NULL, version INTEGER NOT NULL, previous INTEGER,
                at TEXT NOT NULL, by TEXT NOT NULL, reason TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS version_reports(
                id INTEGER PRIMARY KEY AUTOINCREMENT, version INTEGER NOT NULL, kind TEXT NOT NULL, created_at TEXT NOT NULL, report TEXT NOT NULL);
            """, transaction);
    }

    /// <summary>
    /// Within one write transaction: numbers new revisions, and moves a document's current rows to the archive before
    /// they are replaced or deleted when a sealed version may hold them (revisions written since the last seal are
    /// held by none, so they are simply replaced).
    /// </summary>
    private sealed class RevisionArchive : IDisposable
    {
        private readonly SqliteCommand[] _keep;
        private long _nextRevision;

        public RevisionArchive(SqliteConnection connection, SqliteTransaction transaction)
        {
            var sealedRevision = ReadMeta(connection, transaction).GetValueOrDefault(SealedRevisionKey) is { } text
                ? long.Parse(text, CultureInfo.InvariantCulture)
                : 0;
            _nextRevision = Scalar(connection, "SELECT MAX(COALESCE((SELECT MAX(rev) FROM documents), 0), COALESCE((SELECT MAX(rev) FROM archived_documents), 0))", transaction) + 1;
            _keep = sealedRevision == 0 ? [] :
            [
                Command(connection, transaction, """
                    INSERT OR IGNORE INTO archived_documents(rev, id, source, title, content_hash, metadata, chunk_count, ingested_at)
                    SELECT rev, id, source, title, content_hash, metadata, chunk_count, ingested_at FROM documents WHERE id = $id AND rev <= $sealed
                    """, "$id", "$sealed"),
                Command(connection, transaction, """
                    INSERT OR IGNORE INTO archived_chunks(id, rev, document_id, ordinal, text, start_offset, end_offset, heading_path, page, content_hash, terms)
                    SELECT c.id, d.rev, c.document_id, c.ordinal, c.text, c.start_offset, c.end_offset, c.heading_path, c.page, c.content_hash, c.terms
                    FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.id = $id AND d.rev <= $sealed
                    """, "$id", "$sealed"),
                Command(connection, transaction, """
                    INSERT OR IGNORE INTO archived_embeddings(chunk_id, vector)
                    SELECT e.chunk_id, e.vector FROM embeddings e JOIN chunks c ON c.id = e.chunk_id JOIN documents d ON d.id = c.document_id
                    WHERE d.id = $id AND d.rev <= $sealed
                    """, "$id", "$sealed"),
            ];
            _sealed = sealedRevision;
        }

        private readonly long _sealed;

        public long NextRevision() => _nextRevision++;

        public void Keep(string documentId)
        {
            foreach (var command in _keep)
            {
                Run(command, documentId, _sealed);
            }
        }

        public void Dispose()
        {
            foreach (var command in _keep)
            {
                command.Dispose();
            }
        }
    }

    private sealed class VersionCatalog(Collection collection) : IVersionCatalog
    {
        private const string VersionColumns =
            "id, parent, change, created_at, created_by, note, documents, chunks, chunker, embedder, analyzer, sift_version, settings, prompts, generation";

        public IReadOnlyList<VersionRecord> List()
        {
            using var connection = collection.Connect();
            return ReadVersions(connection, null, $"SELECT {VersionColumns} FROM versions ORDER BY id");
        }

        public VersionRecord? Find(long id)
        {
            using var connection = collection.Connect();
            return ReadVersions(connection, null, $"SELECT {VersionColumns} FROM versions WHERE id = {id.ToString(CultureInfo.InvariantCulture)}").FirstOrDefault();
        }

        public VersionRecord Commit(VersionChange change, string? alias)
        {
            if (alias is not null)
            {
                VersionAliases.Validate(alias);
            }

            VersionRecord result;
            using (var connection = collection.Connect())
            using (var transaction = connection.BeginTransaction())
            {
                var meta = ReadMeta(connection, transaction);
                var revisions = new List<long>();
                using (var command = Command(connection, transaction, "SELECT rev FROM documents ORDER BY rev"))
                using (var reader = command.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        revisions.Add(reader.GetInt64(0));
                    }
                }

                var manifest = RevisionSet.Encode(revisions);
                var settings = SettingsMeta.Read(meta);
                var chunker = meta.GetValueOrDefault(ChunkerKey) ?? "";
                var embedder = meta.GetValueOrDefault(EmbedderIdentityKey) ?? StoredVectors.NoEmbedder;
                var newest = ReadVersions(connection, transaction, $"SELECT {VersionColumns} FROM versions ORDER BY id DESC LIMIT 1").FirstOrDefault();
                var unchanged = newest is not null && newest.Settings == settings && newest.Chunker == chunker && newest.Embedder == embedder
                    && ReadManifest(connection, transaction, newest.Id).AsSpan().SequenceEqual(manifest);
                if (unchanged)
                {
                    result = newest!;
                }
                else
                {
                    BumpGeneration(connection, transaction);
                    var generation = Scalar(connection, GenerationSql, transaction);
                    var chunks = Scalar(connection, "SELECT COUNT(*) FROM chunks", transaction);
                    result = new VersionRecord(
                        (newest?.Id ?? 0) + 1, newest?.Id, change.Change, Timestamp(), change.By, change.Note, revisions.Count, chunks, chunker, embedder,
                        meta["analyzer"], SiftBuild.Version, settings, change.Prompts ?? [], generation);
                    using var insert = Command(connection, transaction, $"""
                        INSERT INTO versions({VersionColumns}, manifest)
                        VALUES ($id, $parent, $change, $at, $by, $note, $documents, $chunks, $chunker, $embedder, $analyzer, $sift, $settings, $prompts, $generation, $manifest)
                        """, "$id", "$parent", "$change", "$at", "$by", "$note", "$documents", "$chunks", "$chunker", "$embedder", "$analyzer", "$sift",
                        "$settings", "$prompts", "$generation", "$manifest");
                    Run(insert, result.Id, result.Parent, result.Change, result.CreatedAt, result.CreatedBy, result.Note, result.Documents, result.Chunks,
                        result.Chunker, result.Embedder, result.Analyzer, result.SiftVersion, JsonSerializer.Serialize(settings),
                        JsonSerializer.Serialize(result.Prompts), result.Generation, manifest);
                    WriteMeta(connection, transaction, SealedRevisionKey, (revisions.Count == 0 ? 0 : revisions[^1]).ToString(CultureInfo.InvariantCulture));
                }

                if (alias is not null && !unchanged)
                {
                    // Only a new version moves the alias: an ingest that changed nothing must not undo a rollback.
                    Move(connection, transaction, alias, result.Id, change.By, $"{change.Change} made version {result.Id}");
                }

                transaction.Commit();
            }

            // The index files are brought to the sealed generation, so the next process maps them instead of rebuilding.
            collection.RefreshIndexes();
            return result;
        }

        /// <summary>Read on every request of a server: kept until the database changes (one pragma instead of a connection and a query).</summary>
        public IReadOnlyDictionary<string, long> Aliases()
        {
            var changed = collection.DataVersion();
            if (_aliases is { } cached && cached.DataVersion == changed)
            {
                return cached.Aliases;
            }

            var aliases = ReadAliases();
            _aliases = new AliasesAt(changed, aliases); // one reference, replaced whole: readers never see half of it
            return aliases;
        }

        private AliasesAt? _aliases;

        private sealed record AliasesAt(long DataVersion, IReadOnlyDictionary<string, long> Aliases);

        private Dictionary<string, long> ReadAliases()
        {
            using var connection = collection.Connect();
            using var command = Command(connection, null, "SELECT name, version FROM aliases ORDER BY name");
            using var reader = command.ExecuteReader();
            return StoredRows.ReadAll(reader, r => (Name: r.GetString(0), Version: r.GetInt64(1))).ToDictionary(a => a.Name, a => a.Version, StringComparer.Ordinal);
        }

        public void MoveAlias(string alias, long version, string by, string reason)
        {
            VersionAliases.Validate(alias);
            using var connection = collection.Connect();
            using var transaction = connection.BeginTransaction();
            if (Scalar(connection, $"SELECT COUNT(*) FROM versions WHERE id = {version.ToString(CultureInfo.InvariantCulture)}", transaction) == 0)
            {
                throw VersionAliases.NoSuchVersion(collection.Name, version);
            }

            Move(connection, transaction, alias, version, by, reason);
            transaction.Commit();
        }

        public void DeleteAlias(string alias)
        {
            using var connection = collection.Connect();
            using var command = Command(connection, null, "DELETE FROM aliases WHERE name = $name", "$name");
            Run(command, alias);
        }

        public IReadOnlyList<AliasMove> AliasHistory(string alias)
        {
            using var connection = collection.Connect();
            using var command = Command(connection, null, "SELECT alias, version, previous, at, by, reason FROM alias_moves WHERE alias = $alias ORDER BY id DESC", "$alias");
            command.Parameters[0].Value = alias;
            using var reader = command.ExecuteReader();
            return StoredRows.ReadAll(reader, StoredRows.ReadMove);
        }

        public IChunkStore Open(long version)
        {
            var record = Find(version) ?? throw VersionAliases.NoSuchVersion(collection.Name, version);
            using var connection = collection.Connect();
            return new VersionView(collection, record, RevisionSet.Decode(ReadManifest(connection, null, version)), new VersionRows(collection), collection._versionIndexes);
        }

        public void AttachReport(long version, string kind, string json)
        {
            using var connection = collection.Connect();
            using var command = Command(connection, null, "INSERT INTO version_reports(version, kind, created_at, report) VALUES ($v, $kind, $at, $report)", "$v", "$kind", "$at", "$report");
            Run(command, version, kind, Timestamp(), json);
        }

        public IReadOnlyList<VersionReport> Reports(long version)
        {
            using var connection = collection.Connect();
            using var command = Command(connection, null, "SELECT kind, created_at, report FROM version_reports WHERE version = $v ORDER BY id", "$v");
            command.Parameters[0].Value = version;
            using var reader = command.ExecuteReader();
            return StoredRows.ReadAll(reader, StoredRows.ReadReport);
        }

        public VersionCollection Collect(VersionRetention retention)
        {
            using var connection = collection.Connect();
            using var transaction = connection.BeginTransaction();
            var (kept, deleted) = retention.Split(Numbers(connection, transaction, "SELECT id FROM versions ORDER BY id"), Numbers(connection, transaction, "SELECT version FROM aliases"));
            var held = kept.SelectMany(id => RevisionSet.Decode(ReadManifest(connection, transaction, id))).ToHashSet();
            var unheld = Numbers(connection, transaction, "SELECT rev FROM archived_documents").Where(rev => !held.Contains(rev)).ToList();

            var revisions = JsonSerializer.Serialize(unheld);
            var chunks = Scalar(connection, $"SELECT COUNT(*) FROM archived_chunks WHERE rev IN (SELECT value FROM json_each('{revisions}'))", transaction);
            Execute(connection, $"""
                DELETE FROM archived_embeddings WHERE chunk_id IN (SELECT id FROM archived_chunks WHERE rev IN (SELECT value FROM json_each('{revisions}')));
                DELETE FROM archived_chunks WHERE rev IN (SELECT value FROM json_each('{revisions}'));
                DELETE FROM archived_documents WHERE rev IN (SELECT value FROM json_each('{revisions}'));
                DELETE FROM versions WHERE id IN (SELECT value FROM json_each('{JsonSerializer.Serialize(deleted)}'));
                DELETE FROM version_reports WHERE version NOT IN (SELECT id FROM versions);
                """, transaction);
            transaction.Commit();
            if (unheld.Count > 0)
            {
                // Deleted rows leave free pages behind; give them back to the file system, which is what gc is for.
                Execute(connection, "VACUUM");
            }

            return new VersionCollection(deleted, unheld.Count, chunks);
        }

        private static void Move(SqliteConnection connection, SqliteTransaction transaction, string alias, long version, string by, string reason)
        {
            using var previous = Command(connection, transaction, "SELECT version FROM aliases WHERE name = $name", "$name");
            previous.Parameters[0].Value = alias;
            var before = previous.ExecuteScalar() is long id ? id : (long?)null;
            if (before == version)
            {
                return;
            }

            var at = Timestamp();
            using var upsert = Command(connection, transaction,
                "INSERT INTO aliases(name, version, updated_at) VALUES ($name, $v, $at) ON CONFLICT(name) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at",
                "$name", "$v", "$at");
            Run(upsert, alias, version, at);
            using var log = Command(connection, transaction,
                "INSERT INTO alias_moves(alias, version, previous, at, by, reason) VALUES ($alias, $v, $previous, $at, $by, $reason)",
                "$alias", "$v", "$previous", "$at", "$by", "$reason");
            Run(log, alias, version, before, at, by, reason);
        }

        private byte[] ReadManifest(SqliteConnection connection, SqliteTransaction? transaction, long version)
        {
            using var command = Command(connection, transaction, "SELECT manifest FROM versions WHERE id = $v", "$v");
            command.Parameters[0].Value = version;
            return command.ExecuteScalar() as byte[]
                ?? throw VersionAliases.NoSuchVersion(collection.Name, version);
        }

        private static List<VersionRecord> ReadVersions(SqliteConnection connection, SqliteTransaction? transaction, string sql)
        {
            using var command = Command(connection, transaction, sql);
            using var reader = command.ExecuteReader();
            return StoredRows.ReadAll(reader, r => new VersionRecord(
                r.GetInt64(0), r.IsDBNull(1) ? null : r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetString(4),
                r.IsDBNull(5) ? null : r.GetString(5), r.GetInt64(6), r.GetInt64(7), r.GetString(8), r.GetString(9),
                r.GetString(10), r.GetString(11), JsonSerializer.Deserialize<CollectionSettings>(r.GetString(12))!,
                JsonSerializer.Deserialize<string[]>(r.GetString(13))!, r.GetInt64(14)));
        }

        private static List<long> Numbers(SqliteConnection connection, SqliteTransaction transaction, string sql)
        {
            using var command = Command(connection, transaction, sql);
            using var reader = command.ExecuteReader();
            return StoredRows.ReadAll(reader, r => r.GetInt64(0));
        }
    }
}
