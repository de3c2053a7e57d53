using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sift.Composition;
using Sift.Core;
using Sift.Core.Filtering;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Metrics;
using Sift.Retrieval;

namespace Sift.Server;

/// <summary>A dataset an administrator may run, with its splits (its qrels files).</summary>
public sealed record EvaluationDataset(string Name, IReadOnlyList<string> Splits);

/// <summary>An evaluation started from the console: running, or how it ended.</summary>
public sealed record EvaluationRun(string Id, string Collection, long? Version, string Dataset, string Split, string State, DateTimeOffset Started, string? Failure);

/// <summary>
/// Retrieval evaluations an administrator starts from the console: a dataset of <see cref="ServerOptions.Datasets"/>
/// against a collection as it is served (the version prod names), one at a time, in the background; the report is
/// kept with that version, where the Evaluations page lists it.
/// </summary>
public sealed class EvaluationRuns(CollectionHost host, ServerOptions options, ILogger<EvaluationRuns> logger)
{
    private const int Depth = 100;
    private const int Kept = 20;

    private readonly ConcurrentDictionary<string, EvaluationRun> _runs = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _one = new(1, 1);

    /// <summary>The datasets of the configured folder (none without one).</summary>
    public IReadOnlyList<EvaluationDataset> Datasets()
    {
        if (options.Datasets is not { } root || !Directory.Exists(root))
        {
            return [];
        }

        return [.. Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal)
            .Where(d => File.Exists(Path.Combine(d, "queries.jsonl")) && Directory.Exists(Path.Combine(d, "qrels")))
            .Select(d => new EvaluationDataset(Path.GetFileName(d), [.. Directory.EnumerateFiles(Path.Combine(d, "qrels"), "*.tsv").Select(Path.GetFileNameWithoutExtension).OfType<string>().Order(StringComparer.Ordinal)]))];
    }

    /// <summary>Runs started on these collections, newest first.</summary>
    public IReadOnlyList<EvaluationRun> Runs(Func<string, bool> visible) =>
        [.. _runs.Values.Where(r => visible(r.Collection)).OrderByDescending(r => r.Started)];

    /// <summary>Starts <paramref name="dataset"/>'s <paramref name="split"/> against <paramref name="collection"/>, seeing what <paramref name="access"/> may.</summary>
    public EvaluationRun Start(string collection, string dataset, string split, AccessScope access)
    {
        var found = Datasets().FirstOrDefault(d => d.Name == dataset) ?? throw new SiftException($"no dataset '{dataset}' in the server's --datasets folder");
        if (!found.Splits.Contains(split))
        {
            throw new SiftException($"dataset '{dataset}' has no split '{split}' (it has {string.Join(", ", found.Splits)})");
        }

        var (target, version) = host.Read(collection, null) ?? throw new SiftException($"collection '{collection}' was not found");
        var run = new EvaluationRun(Guid.CreateVersion7().ToString("N")[..12], collection, version?.Id, dataset, split, "running", DateTimeOffset.UtcNow, null);
        _runs[run.Id] = run;
        foreach (var old in _runs.Values.OrderByDescending(r => r.Started).Skip(Kept))
        {
            _runs.TryRemove(old.Id, out _);
        }

        _ = Task.Run(async () =>
        {
            await _one.WaitAsync().ConfigureAwait(false);
            try
            {
                var data = BeirDataset.LoadJudgedQueries(Path.Combine(options.Datasets!, dataset), split);
                var retriever = RetrieverFactory.Create(target, CollectionHost.Analyzer, RetrievalSettings.For(target));
                var (_, report) = await RetrievalReports.EvaluateAsync(
                    data, target, retriever, MetricSpec.Defaults, Depth, MetadataFilter.For(access), null, redact: false, CancellationToken.None).ConfigureAwait(false);
                if (version is not null && host.Find(collection)?.Versions is { } catalog)
                {
                    catalog.AttachReport(version.Id, "retrieval", JsonSerializer.Serialize(report, JsonSerializerOptions.Web));
                }

                _runs[run.Id] = run with { State = version is null ? "done (not kept: the collection has no versions)" : "done" };
            }
            catch (Exception ex) when (ex is SiftException or IOException or JsonException or InvalidOperationException)
            {
                logger.LogWarning("evaluation {Run} of {Collection} failed: {Failure}", run.Id, collection, ex.Message);
                _runs[run.Id] = run with { State = "failed", Failure = ex.Message };
            }
            finally
            {
                _one.Release();
            }
        });
        return run;
    }
}
