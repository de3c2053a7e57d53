using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sift.Composition;
using Sift.Core.Telemetry;
using Sift.Evaluation.Monitoring;
using Sift.Generation.Logging;

namespace Sift.Server.Rollout;

/// <summary>
/// Checks every collection's recent traffic for drift on a schedule (<see cref="ServerOptions.DriftCheckInterval"/>):
/// the version <c>prod</c> names, the last <see cref="ServerOptions.DriftWindow"/> of the query log against the
/// <see cref="ServerOptions.DriftReference"/> before it; and, once per new version, the corpus against the version
/// before it. A drifted feature is logged, counted in <c>sift.drift.alerts</c> and posted to
/// <see cref="ServerOptions.DriftWebhook"/> (event <c>drift</c> or <c>corpus_drift</c>).
/// </summary>
public sealed class DriftWatch(ServerOptions options, CollectionHost host, QueryLog log, Webhooks webhooks, ILogger<DriftWatch> logger) : BackgroundService
{
    /// <summary>The drift report of <paramref name="collection"/>'s traffic now (null when there is no such collection).</summary>
    public async Task<DriftReport?> CheckAsync(string collection, TimeSpan window, TimeSpan reference, CancellationToken cancellationToken)
    {
        if (host.Read(collection, null) is not { } read)
        {
            return null;
        }

        return await DriftMonitor.FromLogAsync(read.Target, log, DateTimeOffset.UtcNow, window, reference, CollectionHost.Analyzer, null, cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.DriftCheckInterval is not { } interval)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            foreach (var name in host.Names)
            {
                try
                {
                    if (await CheckAsync(name, options.DriftWindow, options.DriftReference, stoppingToken).ConfigureAwait(false) is { Alert: true } report)
                    {
                        Alert(name, "drift", [.. report.Features.Where(f => f.Drifted)], report);
                    }

                    if (CorpusDrift(name) is { Count: > 0 } corpus)
                    {
                        Alert(name, "corpus_drift", corpus, null);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                {
                    logger.LogWarning("drift check of {Collection} failed: {Message}", name, ex.Message);
                }
            }
        }
    }

    private readonly Dictionary<string, long> _corpusChecked = new(StringComparer.Ordinal);

    /// <summary>
    /// The drifted content features of <paramref name="collection"/>'s newest version against its parent (chunk terms
    /// and embeddings), once per version: a new version whose corpus moved away is worth a look before it is promoted.
    /// </summary>
    private List<FeatureDrift>? CorpusDrift(string collection)
    {
        if (host.Find(collection)?.Versions is not { } catalog || catalog.List() is not [.., { Parent: { } parent } newest]
            || _corpusChecked.GetValueOrDefault(collection) == newest.Id)
        {
            return null;
        }

        _corpusChecked[collection] = newest.Id;
        using var before = catalog.Open(parent);
        using var after = catalog.Open(newest.Id);
        return [.. DriftMonitor.CorpusDrift(before, after, CollectionHost.Analyzer).Where(f => f.Drifted)];
    }

    private void Alert(string collection, string kind, List<FeatureDrift> drifted, DriftReport? report)
    {
        logger.LogWarning("{Kind} on {Collection}: {Features}", kind, collection, string.Join(", ", drifted.Select(f => $"{f.Name} (PSI {f.Psi:0.000})")));
        foreach (var feature in drifted)
        {
            SiftTelemetry.DriftAlerts.Add(1, new TagList { { "collection", collection }, { "feature", feature.Name } });
        }

        if (options.DriftWebhook is { } webhook)
        {
            webhooks.Post(webhook, new { @event = kind, collection, drifted = drifted.Select(f => f.Name), features = drifted, report });
        }
    }
}
