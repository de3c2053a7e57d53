using System.Diagnostics;
using System.Net.Http.Json;
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
/// <see cref="ServerOptions.DriftReference"/> before it. A drifted feature is logged, counted in
/// <c>sift.drift.alerts</c> and posted to <see cref="ServerOptions.DriftWebhook"/>.
/// </summary>
public sealed class DriftWatch(ServerOptions options, CollectionHost host, QueryLog log, IHttpClientFactory http, ILogger<DriftWatch> logger) : BackgroundService
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
                        await AlertAsync(name, report).ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                {
                    logger.LogWarning("drift check of {Collection} failed: {Message}", name, ex.Message);
                }
            }
        }
    }

    private async Task AlertAsync(string collection, DriftReport report)
    {
        var drifted = report.Features.Where(f => f.Drifted).ToList();
        logger.LogWarning("drift on {Collection}: {Features}", collection, string.Join(", ", drifted.Select(f => $"{f.Name} (PSI {f.Psi:0.000})")));
        foreach (var feature in drifted)
        {
            SiftTelemetry.DriftAlerts.Add(1, new TagList { { "collection", collection }, { "feature", feature.Name } });
        }

        if (options.DriftWebhook is not { } webhook)
        {
            return;
        }

        try
        {
            using var client = http.CreateClient();
            client.Timeout = TimeSpan.FromSeconds(10);
            using var response = await client.PostAsJsonAsync(webhook, new { @event = "drift", collection, drifted = drifted.Select(f => f.Name), report }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            logger.LogWarning("webhook {Webhook} could not be reached: {Message}", webhook, ex.Message);
        }
    }
}
