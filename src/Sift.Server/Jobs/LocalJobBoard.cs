using System.Text.Json;
using Microsoft.Data.Sqlite;
using Sift.Ingest;

namespace Sift.Server.Jobs;

/// <summary>This server's own jobs in <c>STORE/jobs.db</c>; their files stay in the upload folder.</summary>
internal sealed class LocalJobBoard : IJobBoard
{
    private readonly string _connectionString;

    public LocalJobBoard(string folder)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "jobs.db") }.ToString();
        Execute("""
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, state TEXT NOT NULL, created TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS job_writers (job_id TEXT PRIMARY KEY, writer TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS job_documents (job_id TEXT NOT NULL, document_id TEXT NOT NULL, added INTEGER NOT NULL, PRIMARY KEY (job_id, document_id));
            """, []);
    }

    public bool IsShared => false;

    public void Save(IngestJob job) =>
        Execute(
            "INSERT INTO jobs (id, state, created) VALUES ($id, $state, $created) ON CONFLICT(id) DO UPDATE SET state = excluded.state",
            [("$id", job.Id), ("$state", JsonSerializer.Serialize(job)), ("$created", job.Created.ToString("O"))]);

    public IngestJob? Get(string id)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT state FROM jobs WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteScalar() is string state ? JsonSerializer.Deserialize<IngestJob>(state) : null;
    }

    public void SaveWriter(string id, JobWriter writer) =>
        Execute("INSERT OR REPLACE INTO job_writers (job_id, writer) VALUES ($id, $writer)", [("$id", id), ("$writer", JsonSerializer.Serialize(writer))]);

    public JobWriter WriterOf(string id)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT writer FROM job_writers WHERE job_id = $id";
        command.Parameters.AddWithValue("$id", id);
        // A job recorded before writers were: it may replace only documents every reader sees.
        return command.ExecuteScalar() is string writer ? JsonSerializer.Deserialize<JobWriter>(writer)! : new JobWriter(id, []);
    }

    public IReadOnlyList<IngestJob> Unfinished()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT state FROM jobs ORDER BY created";
        using var reader = command.ExecuteReader();
        var jobs = new List<IngestJob>();
        while (reader.Read())
        {
            var job = JsonSerializer.Deserialize<IngestJob>(reader.GetString(0))!;
            if (job.Status is "queued" or "running")
            {
                jobs.Add(job);
            }
        }

        return jobs;
    }

    public int Prune(TimeSpan retention)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM jobs WHERE created < $cutoff AND json_extract(state, '$.Status') IN ('succeeded', 'failed')";
        command.Parameters.AddWithValue("$cutoff", (DateTimeOffset.UtcNow - retention).ToString("O"));
        var pruned = command.ExecuteNonQuery();
        Execute("""
            DELETE FROM job_writers WHERE job_id NOT IN (SELECT id FROM jobs);
            DELETE FROM job_documents WHERE job_id NOT IN (SELECT id FROM jobs);
            """, []);
        return pruned;
    }

    public IIngestJournal Journal(string jobId) => new SqliteJournal(this, jobId);

    public void KeepFiles(string jobId, string folder)
    {
    }

    public void RestoreFiles(string jobId, string folder)
    {
    }

    public void DropFiles(string jobId)
    {
    }

    /// <summary>Not used: this server's own queue decides what runs (see <see cref="FairJobQueue"/>).</summary>
    public string? Claim(string owner, TimeSpan lease) => null;

    public bool Renew(string jobId, string owner, TimeSpan lease) => true;

    public void Dispose() => SqliteConnection.ClearAllPools();

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private void Execute(string sql, (string Name, object Value)[] parameters)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }

    /// <summary>The per-job journal in jobs.db.</summary>
    private sealed class SqliteJournal : IIngestJournal
    {
        private readonly LocalJobBoard _board;
        private readonly string _jobId;
        private readonly Dictionary<string, bool> _recorded = new(StringComparer.Ordinal);

        public SqliteJournal(LocalJobBoard board, string jobId)
        {
            (_board, _jobId) = (board, jobId);
            using var connection = board.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT document_id, added FROM job_documents WHERE job_id = $job";
            command.Parameters.AddWithValue("$job", jobId);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                _recorded[reader.GetString(0)] = reader.GetInt64(1) == 1;
            }
        }

        public IReadOnlyDictionary<string, bool> Recorded => _recorded;

        public void Record(IReadOnlyList<(string DocumentId, bool Added)> batch)
        {
            using var connection = _board.Open();
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT OR IGNORE INTO job_documents (job_id, document_id, added) VALUES ($job, $document, $added)";
            var (job, document, added) = (command.Parameters.Add("$job", SqliteType.Text), command.Parameters.Add("$document", SqliteType.Text), command.Parameters.Add("$added", SqliteType.Integer));
            job.Value = _jobId;
            foreach (var (id, isNew) in batch)
            {
                (document.Value, added.Value) = (id, isNew ? 1 : 0);
                command.ExecuteNonQuery();
                _recorded.TryAdd(id, isNew);
            }

            transaction.Commit();
        }
    }
}
