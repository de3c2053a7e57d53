using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sift.Composition;
using Sift.Core.Filtering;
using Sift.Core.Storage;
using Sift.Ingest;
using Sift.Ingest.Chunking;
using Sift.Ingest.Loading;

namespace Sift.Server.Jobs;

/// <summary>An ingestion job as GET /v1/jobs/{id} reports it.</summary>
/// <param name="Status">queued, running, succeeded or failed.</param>
/// <param name="Errors">Per-file problems (a bad file is skipped, the rest are ingested).</param>
/// <param name="Notices">What was passed over without being an error (empty or binary files, unsupported types); null for jobs stored before notices were kept.</param>
public sealed record IngestJob(
    string Id, string Collection, string Status, DateTimeOffset Created, DateTimeOffset? Finished, int FilesTotal, int FilesDone,
    int Added, int Updated, int Unchanged, int Chunks, IReadOnlyList<string> Errors, string? Failure, string Caller, string? Acl,
    IReadOnlyList<string>? Notices = null)
{
    public static IReadOnlyList<string> Statuses { get; } = ["queued", "running", "succeeded", "failed"];
}

/// <summary>Who a job writes for: the tenant whose turn it takes, and the principals that decide which existing documents it may replace.</summary>
public sealed record JobWriter(string Tenant, IReadOnlyList<string> Principals);

/// <summary>
/// Uploads become background ingestion jobs. Each job's files are saved under <c>STORE/uploads/ID</c> and its state in
/// <c>STORE/jobs.db</c> before the request returns, so a restart resumes queued and interrupted jobs: ingestion is
/// incremental and each document is replaced atomically, so re-running a job never leaves half-written documents,
/// and a journal of what each job wrote keeps its counts right across the restart. Several jobs run at once
/// (<see cref="ServerOptions.IngestWorkers"/>), tenants taking turns, so one tenant's large or hostile upload cannot
/// stall another's.
/// </summary>
public sealed partial class IngestJobs : BackgroundService
{
    private readonly FairJobQueue _queue = new();
    private readonly IJobBoard _board;
    private readonly string _uploads;
    private readonly int _workers;
    private readonly TimeSpan _lease;
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CollectionHost _collections;
    private readonly ILogger<IngestJobs> _logger;
    private readonly ServerOptions _options;

    public IngestJobs(ServerOptions options, CollectionHost collections, ILogger<IngestJobs> logger)
    {
        _options = options;
        _collections = collections;
        _logger = logger;
        _workers = Math.Max(1, options.IngestWorkers);
        _lease = options.JobLease;
        _uploads = Path.Combine(options.StoreRoot, "uploads");
        Directory.CreateDirectory(_uploads);
        // On a PostgreSQL store the jobs are every server's (claimed from the database); otherwise this server's own.
        _board = options.Store is { } store && Core.Storage.StoreLocation.IsPostgresAddress(store)
            ? new SharedJobBoard(store, _owner)
            : new LocalJobBoard(options.StoreRoot);
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
    /// <param name="caller">Who owns the job (may poll it).</param>
    /// <param name="acl">An access list for every document of the upload (encoded), or null.</param>
    public IngestJob Enqueue(string id, string collection, string caller, JobWriter writer, string? acl)
    {
        var job = new IngestJob(id, collection, "queued", DateTimeOffset.UtcNow, null, 0, 0, 0, 0, 0, 0, [], null, caller, acl);
        _board.KeepFiles(id, Path.Combine(_uploads, id));
        _board.SaveWriter(id, writer);
        Save(job);
        if (_board.IsShared)
        {
            // The files are in the database now; whichever server runs the job writes them back out.
            DeleteFolder(Path.Combine(_uploads, id));
            _wake.Release(); // this server's idle workers look now; the others within a second
        }
        else
        {
            _queue.Add(id, writer.Tenant, collection);
        }

        return job;
    }

    public IngestJob? Get(string id) => _board.Get(id);

    /// <summary>
    /// Sweeps and re-queues before the server takes requests (ExecuteAsync runs alongside them): a sweep after an upload
    /// started would delete its folder, and a job enqueued meanwhile would be queued twice.
    /// </summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_board.IsShared)
        {
            // Shared jobs are claimed from the database; local folders are only copies of their files.
            RemoveOrphanUploads([]);
            return base.StartAsync(cancellationToken);
        }

        var unfinished = _board.Unfinished();
        RemoveOrphanUploads(unfinished.Select(j => j.Id));
        foreach (var job in unfinished)
        {
            LogResuming(job.Id, job.Status);
            _queue.Add(job.Id, WriterOf(job.Id).Tenant, job.Collection);
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.WhenAll(Enumerable.Range(0, _workers).Select(_ => Task.Run(() => _board.IsShared ? WorkSharedAsync(stoppingToken) : WorkAsync(stoppingToken), CancellationToken.None))).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: interrupted jobs stay "running" and resume at the next start.
        }
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var (id, collection) = await _queue.TakeAsync(stoppingToken).ConfigureAwait(false);
            try
            {
                if (Get(id) is { Status: "queued" or "running" } job)
                {
                    await RunAsync(job, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not (OperationCanceledException or OutOfMemoryException))
            {
                // One job's bookkeeping failing (a locked jobs.db) must not take the worker down with it.
                LogFailed(ex, id);
            }
            finally
            {
                _queue.Finished(collection);
            }
        }
    }

    /// <summary>
    /// Shared jobs: claim the next one from the database (any server's upload, or a job whose server died), run it
    /// while renewing its lease, and look again when woken by an upload here or after a second.
    /// </summary>
    private async Task WorkSharedAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            string? id = null;
            try
            {
                id = _board.Claim(_owner, _lease);
                if (id is not null && Get(id) is { } job)
                {
                    // Stopping, or losing the job to another server (the lease ran out), interrupts the run: the job
                    // is not marked failed, its new owner carries on.
                    using var owned = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    using var renewing = new CancellationTokenSource();
                    var renewal = RenewAsync(id, owned, renewing.Token);
                    try
                    {
                        await RunAsync(job, owned.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        await renewing.CancelAsync().ConfigureAwait(false);
                        await renewal.ConfigureAwait(false);
                    }

                    continue;
                }
            }
            catch (Exception ex) when (id is null && ex is Npgsql.NpgsqlException or TimeoutException)
            {
                // The database being away must not take the worker down (nor fill the log): it tries again after the pause.
                LogClaimFailed(ex.Message.Split('\n')[0]);
            }
            catch (Exception ex) when (ex is not (OperationCanceledException or OutOfMemoryException))
            {
                LogFailed(ex, id ?? "(claim)");
            }

            await _wake.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Renews a running job's lease at a third of its length until the job ends; when another server has taken the job
    /// over (the lease ran out, e.g. while the database was unreachable), cancels this server's run of it.
    /// </summary>
    private async Task RenewAsync(string id, CancellationTokenSource owned, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_lease / 3, cancellationToken).ConfigureAwait(false);
                if (!_board.Renew(id, _owner, _lease))
                {
                    await owned.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return; // the job ended
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                // The database is away: keep trying; if the lease runs out meanwhile, the next renewal finds the job
                // taken over and stops this run.
                LogFailed(ex, id);
            }
        }
    }

    /// <summary>
    /// Upload folders no unfinished job will read: left by a server killed between saving an upload and recording its
    /// job, or after a job ended.
    /// </summary>
    private void RemoveOrphanUploads(IEnumerable<string> unfinished)
    {
        var keep = unfinished.ToHashSet(StringComparer.Ordinal);
        foreach (var folder in Directory.EnumerateDirectories(_uploads).Where(f => !keep.Contains(Path.GetFileName(f))))
        {
            DeleteFolder(folder);
        }
    }

    private JobWriter WriterOf(string id) => _board.WriterOf(id);

    private async Task RunAsync(IngestJob job, CancellationToken stoppingToken)
    {
        var folder = Path.Combine(_uploads, job.Id);
        _board.RestoreFiles(job.Id, folder);
        var uploadBytes = Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;
        job = job with { Status = "running" };
        Save(job);
        try
        {
            var collection = _collections.FindOrCreate(job.Collection);
            // Uploads are chunked like the rest of the collection (e.g. a corpus ingested with --chunker document).
            var chunker = ChunkerFactory.FromFingerprint(collection.ChunkerFingerprint);
            var pipeline = new IngestPipeline(LoaderRegistry.Default, chunker, collection, collection.Embedder, GuardrailDetectors.IngestScreen(collection.Settings.Guardrails));
            var lastSaved = DateTimeOffset.MinValue;
            var progress = new Core.InlineProgress<IngestProgress>(p =>
            {
                // Progress is saved at most twice a second: readers poll, and the database is not a log.
                if (DateTimeOffset.UtcNow - lastSaved > TimeSpan.FromMilliseconds(500))
                {
                    lastSaved = DateTimeOffset.UtcNow;
                    Save(job with { FilesTotal = p.FilesTotal, FilesDone = p.FilesDone });
                }
            });
            var metadata = job.Acl is null ? null : new Dictionary<string, string> { [Core.Filtering.AccessScope.MetadataKey] = job.Acl };
            var writer = new AccessScope(WriterOf(job.Id).Principals);
            var request = new IngestRequest(folder, SkipBad: true, Metadata: metadata, IdPrefix: "", Writer: writer, Journal: _board.Journal(job.Id));
            var summary = await pipeline.RunAsync(request, progress, stoppingToken).ConfigureAwait(false);
            collection.FinishIngest(chunker.Fingerprint);
            CollectionVersions.Record(collection, new VersionChange("ingest", job.Caller, $"job {job.Id}", [_options.Prompt.Version]));
            string Relative(string message) => message.Replace(folder + Path.DirectorySeparatorChar, "", StringComparison.Ordinal);
            var relative = summary.Problems.Select(Relative).ToList();
            Save(job with
            {
                Status = "succeeded", Finished = DateTimeOffset.UtcNow, FilesTotal = summary.Files, FilesDone = summary.Files,
                Added = summary.Added, Updated = summary.Updated, Unchanged = summary.Unchanged, Chunks = summary.Chunks, Errors = relative,
                Notices = [.. (summary.Notices ?? []).Select(Relative)],
            });
            DeleteFolder(folder);
            _board.DropFiles(job.Id);
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
            _board.DropFiles(job.Id);
        }
        finally
        {
            if (uploadBytes >= LargeUploadBytes && Environment.TickCount64 - Interlocked.Read(ref _lastCompaction) > 60_000)
            {
                // A large document's strings and chunks live on the large-object heap, which the GC would keep committed
                // for reuse: a server that ingested one 36 MB file stayed at 2.4 GB. Give it back to the system, at most
                // once a minute, since the collection pauses every request.
                Interlocked.Exchange(ref _lastCompaction, Environment.TickCount64);
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            }
        }
    }

    private const long LargeUploadBytes = 16L << 20;

    private long _lastCompaction = -60_000;

    /// <summary>Forgets finished jobs created longer ago than <paramref name="retention"/>; returns how many.</summary>
    public int Prune(TimeSpan retention) => _board.Prune(retention);

    public override void Dispose()
    {
        base.Dispose();
        _board.Dispose();
        _wake.Dispose();
    }

    private void Save(IngestJob job) => _board.Save(job);

    private static void DeleteFolder(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "resuming ingestion job {JobId} ({Status} when the server stopped)")]
    private partial void LogResuming(string jobId, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "ingestion job {JobId} interrupted by shutdown; it resumes at the next start")]
    private partial void LogInterrupted(string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "cannot claim ingestion jobs: {Reason}; trying again in a second")]
    private partial void LogClaimFailed(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "ingestion job {JobId} failed")]
    private partial void LogFailed(Exception exception, string jobId);
}
