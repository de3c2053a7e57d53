using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Sift.Ingest;

namespace Sift.Server.Jobs;

/// <summary>
/// Jobs in the PostgreSQL store's database (<c>sift_jobs</c>, made by the store's schema migrations), shared by every
/// server on it: a job is claimed with <c>FOR UPDATE SKIP LOCKED</c>, so each runs once; its server renews a lease while
/// it runs, and when a server dies its jobs are claimed again by another once the lease has run out. Upload files are
/// kept as rows until the job ends, so whichever server runs the job can read them.
/// </summary>
internal sealed class SharedJobBoard : IJobBoard
{
    /// <summary>Serialises claims across servers, so two claims never both see a collection as idle.</summary>
    private const long ClaimLock = 0x5157_4A42; // "SIJB"

    private readonly NpgsqlDataSource _data;
    private readonly string _owner;

    /// <param name="owner">This server's identity: its saves of a job it no longer owns (taken over) are ignored.</param>
    public SharedJobBoard(string address, string owner)
    {
        _owner = owner;
        Postgres.PostgresStore.EnsureSchema(address);
        _data = NpgsqlDataSource.Create(Postgres.PostgresAddress.Parse(address).ConnectionString);
    }

    public bool IsShared => true;

    public void Save(IngestJob job)
    {
        using var connection = _data.OpenConnection();
        using var command = new NpgsqlCommand("""
            INSERT INTO sift_jobs(id, collection, tenant, status, state, writer, created) VALUES ($1, $2, '', $3, $4, '{}', $5)
            ON CONFLICT (id) DO UPDATE SET collection = excluded.collection, status = excluded.status, state = excluded.state, created = excluded.created
            WHERE sift_jobs.owner IS NULL OR sift_jobs.owner = $6
            """, connection);
        command.Parameters.AddWithValue(job.Id);
        command.Parameters.AddWithValue(job.Collection);
        command.Parameters.AddWithValue(job.Status);
        command.Parameters.AddWithValue(NpgsqlDbType.Jsonb, JsonSerializer.Serialize(job));
        command.Parameters.AddWithValue(job.Created.UtcDateTime);
        command.Parameters.AddWithValue(_owner);
        command.ExecuteNonQuery();
    }

    public IngestJob? Get(string id)
    {
        using var connection = _data.OpenConnection();
        using var command = new NpgsqlCommand("SELECT state::text FROM sift_jobs WHERE id = $1", connection);
        command.Parameters.AddWithValue(id);
        return command.ExecuteScalar() is string state ? JsonSerializer.Deserialize<IngestJob>(state) : null;
    }

    public void SaveWriter(string id, JobWriter writer)
    {
        using var connection = _data.OpenConnection();
        using var command = new NpgsqlCommand("UPDATE sift_jobs SET writer = $2, tenant = $3 WHERE id = $1", connection);
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(NpgsqlDbType.Jsonb, JsonSerializer.Serialize(writer));
        command.Parameters.AddWithValue(writer.Tenant);
        command.ExecuteNonQuery();
    }

    public JobWriter WriterOf(string id)
    {
        using var connection = _data.OpenConnection();
        using var command = new NpgsqlCommand("SELECT writer::text FROM sift_jobs WHERE id = $1", connection);
        command.Parameters.AddWithValue(id);
        return command.ExecuteScalar() is string writer && writer != "{}" ? JsonSerializer.Deserialize<JobWriter>(writer)! : new JobWriter(id, []);
    }

    public IReadOnlyList<IngestJob> Unfinished()
    {
        using var connection = _data.OpenConnection();
        using var command = new NpgsqlCommand("SELECT state::text FROM sift_jobs WHERE status IN ('queued', 'running') ORDER BY created", connection);
        using var reader = command.ExecuteReader();
        var jobs = new List<IngestJob>();
        while (reader.Read())
        {
            jobs.Add(JsonSerializer.Deserialize<IngestJob>(reader.GetString(0))!);
        }

        return jobs;
    }

    public int Prune(TimeSpan retention)
    {
        using var connection = _data.OpenConnection();
        // Also uploads whose job was never recorded (the server failed between keeping the files and saving the job).
        using var command = new NpgsqlCommand("DELETE FROM sift_jobs WHERE created < $1 AND status IN ('succeeded', 'failed', 'uploading')", connection);
        command.Parameters.AddWithValue((DateTimeOffset.UtcNow - retention).UtcDateTime);
        return command.ExecuteNonQuery();
    }

    public IIngestJournal Journal(string jobId) => new SharedJournal(_data, jobId);

    public void KeepFiles(string jobId, string folder)
    {
        using var connection = _data.OpenConnection();
        using var transaction = connection.BeginTransaction();
        // The job row first (its files reference it); Save fills in its state next.
        using (var placeholder = new NpgsqlCommand("INSERT INTO sift_jobs(id, collection, tenant, status, state, writer, created) VALUES ($1, '', '', 'uploading', '{}', '{}', now()) ON CONFLICT (id) DO NOTHING", connection, transaction))
        {
            placeholder.Parameters.AddWithValue(jobId);
            placeholder.ExecuteNonQuery();
        }

        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            using var insert = new NpgsqlCommand("INSERT INTO sift_job_files(job_id, path, content) VALUES ($1, $2, $3)", connection, transaction);
            insert.Parameters.AddWithValue(jobId);
            insert.Parameters.AddWithValue(Path.GetRelativePath(folder, file).Replace('\\', '/'));
            insert.Parameters.AddWithValue(File.ReadAllBytes(file));
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    public void RestoreFiles(string jobId, string folder)
    {
        if (Directory.Exists(folder))
        {
            return; // this server took the upload: its files are here
        }

        var staging = folder + ".restoring";
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }

        using var connection = _data.OpenConnection();
        using var command = new NpgsqlCommand("SELECT path, content FROM sift_job_files WHERE job_id = $1", connection);
        command.Parameters.AddWithValue(jobId);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var path = Path.GetFullPath(Path.Combine(staging, reader.GetString(0)));
            if (!path.StartsWith(Path.GetFullPath(staging) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                continue; // paths were made relative by KeepFiles; anything else is not ours to write
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, reader.GetFieldValue<byte[]>(1));
        }

        Directory.CreateDirectory(staging);
        Directory.Move(staging, folder);
    }

    public void DropFiles(string jobId)
    {
        using var connection = _data.OpenConnection();
        using var command = new NpgsqlCommand("DELETE FROM sift_job_files WHERE job_id = $1", connection);
        command.Parameters.AddWithValue(jobId);
        command.ExecuteNonQuery();
    }

    public string? Claim(string owner, TimeSpan lease)
    {
        using var connection = _data.OpenConnection();
        using var transaction = connection.BeginTransaction();
        using (var serialise = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({ClaimLock})", connection, transaction))
        {
            serialise.ExecuteNonQuery();
        }

        // Taken after the lock, the statement's snapshot holds every earlier claim, so "no running job on this
        // collection" is true when it is read.
        using var command = new NpgsqlCommand("""
            UPDATE sift_jobs SET owner = $1, lease_until = now() + $2, status = 'running'
            WHERE id = (
                SELECT j.id FROM sift_jobs j
                WHERE (j.status = 'queued' OR (j.status = 'running' AND (j.lease_until IS NULL OR j.lease_until < now())))
                  AND NOT EXISTS (SELECT 1 FROM sift_jobs r WHERE r.collection = j.collection AND r.id <> j.id AND r.status = 'running' AND r.lease_until >= now())
                ORDER BY (SELECT COUNT(*) FROM sift_jobs r WHERE r.tenant = j.tenant AND r.status = 'running' AND r.lease_until >= now()), j.created
                LIMIT 1
                FOR UPDATE SKIP LOCKED)
            RETURNING id
            """, connection, transaction);
        command.Parameters.AddWithValue(owner);
        command.Parameters.AddWithValue(lease);
        var claimed = command.ExecuteScalar() as string;
        transaction.Commit();
        return claimed;
    }

    public bool Renew(string jobId, string owner, TimeSpan lease)
    {
        using var connection = _data.OpenConnection();
        using var command = new NpgsqlCommand("UPDATE sift_jobs SET lease_until = now() + $3 WHERE id = $1 AND owner = $2", connection);
        command.Parameters.AddWithValue(jobId);
        command.Parameters.AddWithValue(owner);
        command.Parameters.AddWithValue(lease);
        return command.ExecuteNonQuery() == 1;
    }

    public void Dispose() => _data.Dispose();

    /// <summary>The per-job journal in <c>sift_job_documents</c>: whichever server resumes the job counts as the first did.</summary>
    private sealed class SharedJournal : IIngestJournal
    {
        private readonly NpgsqlDataSource _data;
        private readonly string _jobId;
        private readonly Dictionary<string, bool> _recorded = new(StringComparer.Ordinal);

        public SharedJournal(NpgsqlDataSource data, string jobId)
        {
            (_data, _jobId) = (data, jobId);
            using var connection = data.OpenConnection();
            using var command = new NpgsqlCommand("SELECT document_id, added FROM sift_job_documents WHERE job_id = $1", connection);
            command.Parameters.AddWithValue(jobId);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                _recorded[reader.GetString(0)] = reader.GetBoolean(1);
            }
        }

        public IReadOnlyDictionary<string, bool> Recorded => _recorded;

        public void Record(IReadOnlyList<(string DocumentId, bool Added)> batch)
        {
            using var connection = _data.OpenConnection();
            using var command = new NpgsqlCommand("""
                INSERT INTO sift_job_documents(job_id, document_id, added)
                SELECT $1, d, a FROM unnest($2::text[], $3::boolean[]) AS t(d, a)
                ON CONFLICT DO NOTHING
                """, connection);
            command.Parameters.AddWithValue(_jobId);
            command.Parameters.AddWithValue(batch.Select(b => b.DocumentId).ToArray());
            command.Parameters.AddWithValue(batch.Select(b => b.Added).ToArray());
            command.ExecuteNonQuery();
            foreach (var (id, added) in batch)
            {
                _recorded.TryAdd(id, added);
            }
        }
    }
}
