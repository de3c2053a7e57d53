using Sift.Ingest;

namespace Sift.Server.Jobs;

/// <summary>
/// Where ingestion jobs are recorded and who runs them. The local board (<c>jobs.db</c> in the server's folder) is this
/// server's own; the shared board (in the PostgreSQL store's database) is every server's: any server may claim any
/// job, and a job whose server died is taken over when its lease runs out.
/// </summary>
internal interface IJobBoard : IDisposable
{
    /// <summary>True when jobs are shared between servers (claimed with leases, files kept in the database).</summary>
    bool IsShared { get; }

    void Save(IngestJob job);

    IngestJob? Get(string id);

    void SaveWriter(string id, JobWriter writer);

    JobWriter WriterOf(string id);

    /// <summary>Queued and running jobs, oldest first.</summary>
    IReadOnlyList<IngestJob> Unfinished();

    /// <summary>Forgets finished jobs created longer ago than <paramref name="retention"/>; returns how many.</summary>
    int Prune(TimeSpan retention);

    /// <summary>The job's journal: documents it wrote, recorded before each batch is written.</summary>
    IIngestJournal Journal(string jobId);

    /// <summary>Keeps an upload's files where every server can read them (shared boards; a local board leaves them in the folder).</summary>
    void KeepFiles(string jobId, string folder);

    /// <summary>Writes a job's kept files into <paramref name="folder"/> when it is not there (a job taken over from another server).</summary>
    void RestoreFiles(string jobId, string folder);

    /// <summary>Forgets a finished job's kept files.</summary>
    void DropFiles(string jobId);

    /// <summary>
    /// Takes the next job this server should run, or null: queued ones, and running ones whose owner's lease ran out,
    /// the tenant with the fewest running jobs first, never a second job on a collection that has one running.
    /// </summary>
    string? Claim(string owner, TimeSpan lease);

    /// <summary>Extends the lease of a job this server runs; false when another server has taken it over.</summary>
    bool Renew(string jobId, string owner, TimeSpan lease);
}
