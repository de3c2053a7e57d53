using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sift.Ingest;
using Sift.Ingest.Chunking;
using Sift.Ingest.Loading;

namespace Sift.Server.Jobs;

/// <summary>An ingestion job as GET /v1/jobs/{id} reports it.</summary>
/// <param name="Status">queued, running, succeeded or failed.</param>
/// <param name="Errors">Per-file problems (a bad file is skipped, the rest are ingested).</param>
public sealed record IngestJob(
    string Id, string Collection, string Status, DateTimeOffset Created, DateTimeOffset? Finished, int FilesTotal, int FilesDone,
    int Added, int Updated, int Unchanged, int Chunks, IReadOnlyList<string> Errors, string? Failure, string Caller, string? Acl);

/// <summary>
/// Uploads become background ingestion jobs. Each job's files are saved under <c>STORE/uploads/ID</c> and its state in
/// <c>STORE/jobs.db</c> before the request returns, so a restart resumes queued and interrupted jobs: ingestion is
/// incremental and each document is replaced atomically, so re-running a job never leaves half-written documents.
/// </summary>
public sealed partial class IngestJobs : BackgroundService
{
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>();
    private readonly string _connectionString;
    private readonly string _uploads;
    private readonly CollectionHost _collections;
    private readonly ILogger<IngestJobs> _logger;

    public IngestJobs(ServerOptions options, CollectionHost collections, ILogger<IngestJobs> logger)
    {
        _collections = collections;
        _logger = logger;
        _uploads = Path.Combine(options.StoreRoot, "uploads");
        Directory.CreateDirectory(_uploads);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(options.StoreRoot, "jobs.db") }.ToString();
        Execute("""
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, state TEXT NOT NULL, created TEXT NOT NULL);
            """, []);
    }

    /// <summary>A new job id and the empty folder its files go to.</summary>
    public (string Id, string Folder) NewUpload()
    {
        var id = Guid.CreateVersion7().ToString("N");
        var folder = Path.Combine(_uploads, id);
        Directory.CreateDirectory(folder);
        return (id, folder);
    }

    public void DiscardUpload(string id) => DeleteFolder(Path.Combine(_uploads, id));

    /// <summary>Records the job (its files are in place) and queues it.</summary>
    /// <param name="acl">An access list for every document of the upload (encoded), or null.</param>
    public IngestJob Enqueue(string id, string collection, string caller, string? acl)
    {
        var job = new IngestJob(id, collection, "queued", DateTimeOffset.UtcNow, null, 0, 0, 0, 0, 0, 0, [], null, caller, acl);
        Save(job);
        _queue.Writer.TryWrite(id);
        return job;
    }

    public IngestJob? Get(string id)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT state FROM jobs WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteScalar() is string state ? JsonSerializer.Deserialize<IngestJob>(state) : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var unfinished in Unfinished())
        {
            LogResuming(unfinished.Id, unfinished.Status);
            _queue.Writer.TryWrite(unfinished.Id);
        }

        await foreach (var id in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            if (Get(id) is { } job)
            {
                await Task.Run(() => Run(job, stoppingToken), CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private void Run(IngestJob job, CancellationToken stoppingToken)
    {
        var folder = Path.Combine(_uploads, job.Id);
        job = job with { Status = "running" };
        Save(job);
        try
        {
            var collection = _collections.FindOrCreate(job.Collection);
            // Uploads are chunked like the rest of the collection (e.g. a corpus ingested with --chunker document).
            var chunker = ChunkerFactory.FromFingerprint(collection.ChunkerFingerprint);
            var pipeline = new IngestPipeline(LoaderRegistry.Default, chunker, collection);
            var lastSaved = DateTimeOffset.MinValue;
            var progress = new Progress(p =>
            {
                // Progress is saved at most twice a second: readers poll, and the database is not a log.
                if (DateTimeOffset.UtcNow - lastSaved > TimeSpan.FromMilliseconds(500))
                {
                    lastSaved = DateTimeOffset.UtcNow;
                    Save(job with { FilesTotal = p.FilesTotal, FilesDone = p.FilesDone });
                }
            });
            var metadata = job.Acl is null ? null : new Dictionary<string, string> { [Core.Filtering.AccessScope.MetadataKey] = job.Acl };
            var summary = pipeline.Run(new IngestRequest(folder, SkipBad: true, Metadata: metadata, IdPrefix: ""), progress, stoppingToken);
            collection.FinishIngest(chunker.Fingerprint);
            var relative = summary.Problems.Select(p => p.Replace(folder + Path.DirectorySeparatorChar, "", StringComparison.Ordinal)).ToList();
            Save(job with
            {
                Status = "succeeded", Finished = DateTimeOffset.UtcNow, FilesTotal = summary.Files, FilesDone = summary.Files,
                Added = summary.Added, Updated = summary.Updated, Unchanged = summary.Unchanged, Chunks = summary.Chunks, Errors = relative,
            });
            DeleteFolder(folder);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the job stays "running" and resumes at the next start.
            LogInterrupted(job.Id);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogFailed(ex, job.Id);
            Save(job with { Status = "failed", Finished = DateTimeOffset.UtcNow, Failure = ex is Core.SiftException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}" });
            DeleteFolder(folder);
        }
    }

    /// <summary>Forgets finished jobs created longer ago than <paramref name="retention"/>; returns how many.</summary>
    public int Prune(TimeSpan retention)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM jobs WHERE created < $cutoff AND json_extract(state, '$.Status') IN ('succeeded', 'failed')";
        command.Parameters.AddWithValue("$cutoff", (DateTimeOffset.UtcNow - retention).ToString("O"));
        return command.ExecuteNonQuery();
    }

    private List<IngestJob> Unfinished()
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

    private void Save(IngestJob job) =>
        Execute(
            "INSERT INTO jobs (id, state, created) VALUES ($id, $state, $created) ON CONFLICT(id) DO UPDATE SET state = excluded.state",
            [("$id", job.Id), ("$state", JsonSerializer.Serialize(job)), ("$created", job.Created.ToString("O"))]);

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

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static void DeleteFolder(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private sealed class Progress(Action<IngestProgress> report) : IProgress<IngestProgress>
    {
        public void Report(IngestProgress value) => report(value);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "resuming ingestion job {JobId} ({Status} when the server stopped)")]
    private partial void LogResuming(string jobId, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "ingestion job {JobId} interrupted by shutdown; it resumes at the next start")]
    private partial void LogInterrupted(string jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "ingestion job {JobId} failed")]
    private partial void LogFailed(Exception exception, string jobId);
}
