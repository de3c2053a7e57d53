using Npgsql;
using Sift.Core;

namespace Sift.Postgres;

/// <summary>
/// The store's tables, created and upgraded by numbered migrations recorded in <c>sift_schema_migrations</c>. Servers
/// sharing a database migrate under an advisory lock, so exactly one applies each step; a database migrated by a newer
/// Sift is refused rather than written with an older idea of its tables.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>Any number; servers of one database agree on it, so they take turns migrating.</summary>
    private const long MigrationLock = 0x5157_4654; // "SIFT"

    private static readonly string[] Migrations =
    [
        // 1: collections, documents, chunks. Vectors live in one table per collection (sift_vectors_KEY), made when
        // the collection's first vectors arrive, since a pgvector column and its HNSW index have one dimension.
        """
        CREATE EXTENSION IF NOT EXISTS vector;
        CREATE TABLE sift_collections(
            key bigserial PRIMARY KEY,
            name text NOT NULL UNIQUE,
            collection_id text NOT NULL,
            analyzer text NOT NULL,
            generation bigint NOT NULL DEFAULT 0,
            dimensions integer,
            meta jsonb NOT NULL DEFAULT '{}',
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now());
        CREATE TABLE sift_documents(
            collection bigint NOT NULL REFERENCES sift_collections(key) ON DELETE CASCADE,
            id text NOT NULL,
            source text NOT NULL,
            title text NOT NULL,
            content_hash text NOT NULL,
            metadata jsonb NOT NULL,
            acl text[],
            chunk_count integer NOT NULL,
            ingested_at timestamptz NOT NULL,
            file_stamp text,
            PRIMARY KEY (collection, id));
        CREATE TABLE sift_chunks(
            id bigserial PRIMARY KEY,
            collection bigint NOT NULL,
            document_id text NOT NULL,
            ordinal integer NOT NULL,
            text text NOT NULL,
            start_offset integer NOT NULL,
            end_offset integer NOT NULL,
            heading_path text NOT NULL,
            page integer,
            content_hash text NOT NULL,
            terms text NOT NULL,
            FOREIGN KEY (collection, document_id) REFERENCES sift_documents(collection, id) ON DELETE CASCADE);
        CREATE INDEX sift_chunks_by_document ON sift_chunks(collection, document_id COLLATE "C", ordinal);
        """,

        // 2: ingestion jobs shared by every server on the database: claimed with a lease (a server that dies loses
        // its jobs to another when the lease runs out), their uploads kept as rows, their journals.
        """
        CREATE TABLE sift_jobs(
            id text PRIMARY KEY,
            collection text NOT NULL,
            tenant text NOT NULL,
            status text NOT NULL,
            state jsonb NOT NULL,
            writer jsonb NOT NULL,
            created timestamptz NOT NULL,
            owner text,
            lease_until timestamptz);
        CREATE INDEX sift_jobs_unfinished ON sift_jobs(created) WHERE status IN ('queued', 'running');
        CREATE TABLE sift_job_files(
            job_id text NOT NULL REFERENCES sift_jobs(id) ON DELETE CASCADE,
            path text NOT NULL,
            content bytea NOT NULL,
            PRIMARY KEY (job_id, path));
        CREATE TABLE sift_job_documents(
            job_id text NOT NULL REFERENCES sift_jobs(id) ON DELETE CASCADE,
            document_id text NOT NULL,
            added boolean NOT NULL,
            PRIMARY KEY (job_id, document_id));
        """,

        // 3: API keys every server on the database accepts (only SHA-256 hashes of the secrets; the same columns as keys.db).
        """
        CREATE TABLE sift_keys(
            id text PRIMARY KEY,
            name text NOT NULL,
            hash bytea NOT NULL,
            scopes text NOT NULL,
            collections text NOT NULL,
            groups_ text NOT NULL,
            created text NOT NULL,
            revoked text);
        """,

        // 4: the query log and feedback of every server on the database (the same columns as querylog.db).
        """
        CREATE TABLE sift_queries(
            id text PRIMARY KEY, at text NOT NULL, kind text NOT NULL, collection text NOT NULL, generation bigint NOT NULL,
            caller text, question text, answer text, flags text, documents text NOT NULL,
            latency_ms double precision NOT NULL, tokens_in integer NOT NULL, tokens_out integer NOT NULL, cost text NOT NULL, cached integer NOT NULL);
        CREATE INDEX sift_queries_at ON sift_queries(at);
        CREATE TABLE sift_feedback(
            answer_id text NOT NULL REFERENCES sift_queries(id) ON DELETE CASCADE, at text NOT NULL, rating integer NOT NULL, comment text);
        """,

        // 5: versions. Document revisions are numbered; a version is the list of revisions it holds. A revision a sealed
        // version may hold moves to the archive (with its chunks' vectors as real[]) before a write replaces or deletes it.
        """
        CREATE SEQUENCE sift_revisions;
        ALTER TABLE sift_documents ADD COLUMN rev bigint;
        UPDATE sift_documents SET rev = nextval('sift_revisions');
        ALTER TABLE sift_documents ALTER COLUMN rev SET DEFAULT nextval('sift_revisions'), ALTER COLUMN rev SET NOT NULL;
        CREATE UNIQUE INDEX sift_documents_by_rev ON sift_documents(rev);
        CREATE TABLE sift_archived_documents(
            rev bigint PRIMARY KEY,
            collection bigint NOT NULL REFERENCES sift_collections(key) ON DELETE CASCADE,
            id text NOT NULL, source text NOT NULL, title text NOT NULL, content_hash text NOT NULL, metadata jsonb NOT NULL,
            chunk_count integer NOT NULL, ingested_at timestamptz NOT NULL);
        CREATE TABLE sift_archived_chunks(
            id bigint PRIMARY KEY,
            rev bigint NOT NULL REFERENCES sift_archived_documents(rev) ON DELETE CASCADE,
            document_id text NOT NULL, ordinal integer NOT NULL, text text NOT NULL, start_offset integer NOT NULL, end_offset integer NOT NULL,
            heading_path text NOT NULL, page integer, content_hash text NOT NULL, terms text NOT NULL, embedding real[]);
        CREATE INDEX sift_archived_chunks_by_rev ON sift_archived_chunks(rev, ordinal);
        CREATE TABLE sift_versions(
            collection bigint NOT NULL REFERENCES sift_collections(key) ON DELETE CASCADE,
            id bigint NOT NULL, record jsonb NOT NULL, manifest bytea NOT NULL,
            PRIMARY KEY (collection, id));
        CREATE TABLE sift_aliases(
            collection bigint NOT NULL REFERENCES sift_collections(key) ON DELETE CASCADE,
            name text NOT NULL, version bigint NOT NULL, updated_at text NOT NULL,
            PRIMARY KEY (collection, name));
        CREATE TABLE sift_alias_moves(
            id bigserial PRIMARY KEY,
            collection bigint NOT NULL REFERENCES sift_collections(key) ON DELETE CASCADE,
            alias text NOT NULL, version bigint NOT NULL, previous bigint, at text NOT NULL, by_ text NOT NULL, reason text NOT NULL);
        CREATE TABLE sift_version_reports(
            id bigserial PRIMARY KEY,
            collection bigint NOT NULL REFERENCES sift_collections(key) ON DELETE CASCADE,
            version bigint NOT NULL, kind text NOT NULL, created_at text NOT NULL, report text NOT NULL);
        """,

        // 6: the best retrieved passage's score of each logged query (the console's top-score distribution).
        """
        ALTER TABLE sift_queries ADD COLUMN top_score double precision;
        """,

        // 7: the documents each logged answer cited (training a ranker from feedback).
        """
        ALTER TABLE sift_queries ADD COLUMN cited text;
        """,
    ];

    /// <summary>The schema version this Sift writes.</summary>
    public static int Current => Migrations.Length;

    public static void Migrate(NpgsqlConnection connection, string location)
    {
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction, $"SELECT pg_advisory_xact_lock({MigrationLock})");
        Execute(connection, transaction, "CREATE TABLE IF NOT EXISTS sift_schema_migrations(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
        using var read = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM sift_schema_migrations", connection, transaction);
        var applied = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (applied > Current)
        {
            throw new SiftException($"the store {location} has schema version {applied}, written by a newer Sift; this Sift knows versions up to {Current}: upgrade Sift");
        }

        for (var version = applied + 1; version <= Current; version++)
        {
            try
            {
                Execute(connection, transaction, Migrations[version - 1]);
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedFile or PostgresErrorCodes.FeatureNotSupported && ex.MessageText.Contains("vector", StringComparison.Ordinal))
            {
                throw new SiftException($"the PostgreSQL server of {location} does not have the pgvector extension ({ex.MessageText}): install pgvector 0.8 or later there (most managed PostgreSQL services ship it)", ex);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege && ex.MessageText.Contains("extension", StringComparison.Ordinal))
            {
                throw new SiftException($"the role connecting to {location} may not create the pgvector extension ({ex.MessageText}): have an administrator run CREATE EXTENSION vector; in that database once", ex);
            }

            using var record = new NpgsqlCommand("INSERT INTO sift_schema_migrations(version) VALUES ($1)", connection, transaction);
            record.Parameters.AddWithValue(version);
            record.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }
}
