using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sift.Composition;
using Sift.Core;
using Sift.Core.Filtering;
using Sift.Core.Storage;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Metrics;
using Sift.Retrieval;

namespace Sift.Server;

/// <summary>A dataset an administrator may run, with its splits (its qrels files).</summary>
public sealed record EvaluationDataset(string Name, IReadOnlyList<string> Splits);

/// <summary>An evaluation started from the console: queued, running, done or failed.</summary>
public sealed record EvaluationRun(string Id, string Collection, long? Version, string Dataset, string Split, string State, DateTimeOffset Started, string? Failure);

/// <summary>
/// Retrieval evaluations an administrator starts from the console: a dataset of <see cref="ServerOptions.Datasets"/>
/// against a collection as it is served (the version prod names), one at a time in the background, stopped with the
/// server; the report is kept with that version, where the Evaluations page lists it.
/// </summary>
public sealed class EvaluationRuns(CollectionHost host, ServerOptions options, ILogger<EvaluationRuns> logger) : BackgroundService
{
    private const int Depth = 100;
    private const int KeptFinished = 20;
    private const int MaxQueued = 8;

    private readonly ConcurrentDictionary<string, EvaluationRun> _runs = new(StringComparer.Ordinal);
    private readonly Channel<(EvaluationRun Run, IChunkStore Target, AccessScope Access)> _queue = Channel.CreateBounded<(EvaluationRun, IChunkStore, AccessScope)>(MaxQueued);

    /// <summary>The datasets of the configured folder (none without one, or when it cannot be read).</summary>
    public IReadOnlyList<EvaluationDataset> Datasets()
    {
        if (options.Datasets is not { } root)
        {
            return [];
        }

        try
        {
            return [.. Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal)
                .Where(d => File.Exists(Path.Combine(d, "queries.jsonl")) && Directory.Exists(Path.Combine(d, "qrels")))
                .Select(d => new EvaluationDataset(Path.GetFileName(d), [.. Directory.EnumerateFiles(Path.Combine(d, "qrels"), "*.tsv").Select(Path.GetFileNameWithoutExtension).OfType<string>().Order(StringComparer.Ordinal)]))];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("the datasets folder {Folder} cannot be read: {Reason}", root, ex.Message);
            return [];
        }
    }

    /// <summary>Runs started on these collections, newest first.</summary>
    public IReadOnlyList<EvaluationRun> Runs(Func<string, bool> visible) =>
        [.. _runs.Values.Where(r => visible(r.Collection)).OrderByDescending(r => r.Started)];

    /// <summary>Queues <paramref name="dataset"/>'s <paramref name="split"/> against <paramref name="collection"/>, seeing what <paramref name="access"/> may.</summary>
    public EvaluationRun Start(string collection, string dataset, string split, AccessScope access)
    {
        var found = Datasets().FirstOrDefault(d => d.Name == dataset) ?? throw new SiftException($"no dataset '{dataset}' in the server's --datasets folder");
        if (!found.Splits.Contains(split))
        {
            throw new SiftException($"dataset '{dataset}' has no split '{split}' (it has {string.Join(", ", found.Splits)})");
        }

        var (target, version) = host.Read(collection, null) ?? throw new SiftException($"collection '{collection}' was not found");
        var run = new EvaluationRun(Guid.CreateVersion7().ToString("N")[..12], collection, version?.Id, dataset, split, "queued", DateTimeOffset.UtcNow, null);
        if (!_queue.Writer.TryWrite((run, target, access)))
        {
            throw new SiftException($"{MaxQueued} evaluations are already waiting; start this one when they are done");
        }

        _runs[run.Id] = run;
        foreach (var old in _runs.Values.Where(r => r.State is "done" or "failed").OrderByDescending(r => r.Started).Skip(KeptFinished))
        {
            _runs.TryRemove(old.Id, out _);
        }

        return run;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (run, target, access) in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                _runs[run.Id] = run with { State = "running" };
                try
                {
                    var data = BeirDataset.LoadJudgedQueries(Path.Combine(options.Datasets!, run.Dataset), run.Split);
                    var retriever = RetrieverFactory.Create(
                        target, CollectionHost.Analyzer, LearnedRankers.Apply(RetrievalSettings.For(target), target, CollectionHost.Analyzer, access));
                    var (_, report) = await RetrievalReports.EvaluateAsync(
                        data, target, retriever, MetricSpec.Defaults, Depth, MetadataFilter.For(access), null, redact: false, stoppingToken).ConfigureAwait(false);
                    if (run.Version is { } version && host.Find(run.Collection)?.Versions is { } catalog)
                    {
                        catalog.AttachReport(version, "retrieval", ReportJson.Serialize(report));
                        _runs[run.Id] = run with { State = "done" };
                    }
                    else
                    {
                        _runs[run.Id] = run with { State = "done (not kept: the collection has no versions)" };
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException && ex is not OutOfMemoryException)
                {
                    logger.LogWarning("evaluation {Run} of {Collection} failed: {Failure}", run.Id, run.Collection, ex.Message);
                    _runs[run.Id] = run with { State = "failed", Failure = ex.Message.Split('\n')[0] };
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: a run in progress ends unfinished, and keeps no report.
        }
    }
}
