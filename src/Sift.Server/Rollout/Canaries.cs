using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Sift.Core;
using Sift.Core.Storage;
using Sift.Core.Telemetry;

namespace Sift.Server.Rollout;

/// <summary>
/// The server's canaries, one per collection at most: routing of each read, the arms' outcomes, and what follows when a
/// canary ends (traffic back on the baseline, or the baseline alias moved to the candidate's version), each end logged,
/// counted in <c>sift.canary.events</c> and posted to the plan's webhook.
/// </summary>
public sealed class Canaries(CollectionHost host, Webhooks webhooks, ILogger<Canaries> logger)
{
    private const int AnswersRemembered = 100_000;

    private readonly ConcurrentDictionary<string, Canary> _canaries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (Canary Canary, bool Candidate)> _answers = new(StringComparer.Ordinal);

    /// <summary>Starts (or replaces) the canary of <paramref name="collection"/>; the plan's aliases must exist.</summary>
    public Canary Start(string collection, CanaryPlan plan)
    {
        if (plan.Share is < 0 or > 1 || double.IsNaN(plan.Share))
        {
            throw new InvalidOptionException("share", $"must be between 0 and 1 (got {plan.Share})");
        }

        if (plan.Alpha is <= 0 or >= 0.5 || double.IsNaN(plan.Alpha))
        {
            throw new InvalidOptionException("alpha", $"must be above 0 and below 0.5 (got {plan.Alpha})");
        }

        if (plan.MinRequests < 2 || plan.PromoteAfter is < 1)
        {
            throw new InvalidOptionException("minRequests", "minRequests must be at least 2 and promoteAfter at least 1");
        }

        if (plan.Tolerances is { } t && new[] { t.ErrorRate, t.AbstentionRate, t.CitationFailureRate, t.NegativeFeedbackRate, t.TopScoreDrop, t.LatencyIncrease, t.LatencyFloorMs }.Any(v => v < 0 || !double.IsFinite(v)))
        {
            throw new InvalidOptionException("tolerances", "must be zero or more");
        }

        if (plan.Webhook is { } webhook && !IsAllowedWebhook(webhook))
        {
            throw new InvalidOptionException("webhook", $"'{webhook}' is not an absolute http(s) URL outside link-local addresses");
        }

        var catalog = Catalog(collection);
        var aliases = catalog.Aliases();
        foreach (var alias in new[] { plan.Candidate, plan.Baseline })
        {
            if (!aliases.ContainsKey(VersionAliases.Validate(alias)))
            {
                throw new SiftException($"collection '{collection}' has no alias '{alias}' (its aliases: {string.Join(", ", aliases.Keys)})");
            }
        }

        if (plan.Candidate == plan.Baseline)
        {
            throw new InvalidOptionException("candidate", "must differ from the baseline alias");
        }

        // The plan as it runs, defaults filled in, so its status shows the tolerances in force.
        var canary = new Canary(collection, plan with { Tolerances = plan.Tolerances ?? new CanaryTolerances() }, DateTimeOffset.UtcNow, aliases[plan.Baseline], aliases[plan.Candidate]);
        if (_canaries.TryGetValue(collection, out var replaced))
        {
            replaced.Stop("replaced by a new canary");
        }

        _canaries[collection] = canary;
        logger.LogInformation("canary started on {Collection}: {Share:P0} of callers read {Candidate} (version {Version})", collection, plan.Share, plan.Candidate, aliases[plan.Candidate]);
        return canary;
    }

    public Canary? Find(string collection) => _canaries.GetValueOrDefault(collection);

    public bool Stop(string collection)
    {
        if (!_canaries.TryRemove(collection, out var canary))
        {
            return false;
        }

        canary.Stop("stopped by an administrator");
        return true;
    }

    /// <summary>
    /// The version a read of <paramref name="collection"/> by <paramref name="caller"/> goes to (its number, and the
    /// alias that named it when the canary started), with the canary that routed it; nulls without a running canary.
    /// </summary>
    public (string? Version, string? Alias, Canary? Canary, bool Candidate) Route(string collection, string caller)
    {
        if (Find(collection) is not { State: CanaryState.Running } canary)
        {
            return (null, null, null, false);
        }

        var candidate = canary.RoutesToCandidate(caller);
        var version = candidate ? canary.CandidateVersion : canary.BaselineVersion;
        return (version.ToString(System.Globalization.CultureInfo.InvariantCulture), candidate ? canary.Plan.Candidate : canary.Plan.Baseline, canary, candidate);
    }

    /// <summary>Webhooks go to http(s) addresses, never to link-local ones (cloud metadata services live there).</summary>
    private static bool IsAllowedWebhook(Uri webhook) =>
        webhook.IsAbsoluteUri && (webhook.Scheme == Uri.UriSchemeHttp || webhook.Scheme == Uri.UriSchemeHttps)
        && !(System.Net.IPAddress.TryParse(webhook.DnsSafeHost, out var address)
            && (address.IsIPv6LinkLocal || (address.GetAddressBytes() is [169, 254, _, _])));

    public void Observe(Canary canary, bool candidate, CanaryOutcome outcome, string? answerId = null)
    {
        if (answerId is not null)
        {
            if (_answers.Count >= AnswersRemembered)
            {
                _answers.Clear(); // feedback on very old answers is simply not counted
            }

            _answers[answerId] = (canary, candidate);
        }

        Conclude(canary, canary.Record(candidate, outcome));
    }

    /// <summary>Counts a rating towards the arm that gave the answer, if a canary routed it.</summary>
    public void ObserveFeedback(string answerId, bool negative)
    {
        if (_answers.TryGetValue(answerId, out var routed))
        {
            Conclude(routed.Canary, routed.Canary.RecordFeedback(routed.Candidate, negative));
        }
    }

    private void Conclude(Canary canary, CanaryEvent? ended)
    {
        if (ended is null)
        {
            return;
        }

        var outcome = Canary.Name(ended.State);
        if (ended.State == CanaryState.Promoted)
        {
            var catalog = Catalog(canary.Collection);
            var version = canary.CandidateVersion; // the version tried, whatever the alias names now
            catalog.MoveAlias(canary.Plan.Baseline, version, "canary", $"canary promoted {canary.Plan.Candidate}: {ended.Reason}");
            logger.LogInformation("canary on {Collection} promoted: {Baseline} -> version {Version} ({Reason})", canary.Collection, canary.Plan.Baseline, version, ended.Reason);
        }
        else
        {
            logger.LogWarning("canary on {Collection} rolled back: all traffic on {Baseline} again ({Reason})", canary.Collection, canary.Plan.Baseline, ended.Reason);
        }

        SiftTelemetry.CanaryEvents.Add(1, new TagList { { "collection", canary.Collection }, { "outcome", outcome } });
        if (canary.Plan.Webhook is { } webhook)
        {
            webhooks.Post(webhook, new { @event = $"canary_{outcome}", collection = canary.Collection, reason = ended.Reason, status = ended.Status });
        }
    }

    private IVersionCatalog Catalog(string collection) =>
        host.Find(collection)?.Versions ?? throw new SiftException($"collection '{collection}' keeps no versions, so it cannot run a canary");
}
