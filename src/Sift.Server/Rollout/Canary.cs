using System.Security.Cryptography;
using System.Text;
using Sift.Evaluation.Statistics;

namespace Sift.Server.Rollout;

/// <summary>How a canary runs: which alias gets a share of a collection's traffic, and when it is stopped or promoted.</summary>
/// <param name="Candidate">The alias tried on a share of callers.</param>
/// <param name="Baseline">The alias everyone else reads, and the one a healthy canary is promoted to.</param>
/// <param name="Share">The fraction of callers (sticky per caller) routed to the candidate, 0..1.</param>
/// <param name="Alpha">The chance of stopping a canary that is in truth no worse, over its whole run (all signals together).</param>
/// <param name="MinRequests">Requests per arm before any comparison.</param>
/// <param name="PromoteAfter">Candidate requests after which a canary never found worse is promoted; null: never automatically.</param>
/// <param name="Webhook">Where rollbacks and promotions are posted (JSON), if anywhere.</param>
public sealed record CanaryPlan(
    string Candidate = "candidate",
    string Baseline = "prod",
    double Share = 0.1,
    double Alpha = 0.05,
    int MinRequests = 30,
    int? PromoteAfter = null,
    Uri? Webhook = null,
    CanaryTolerances? Tolerances = null);

/// <summary>
/// How much worse the candidate may be on each signal before it counts as degraded: rates as absolute differences, top
/// score and latency relative to the baseline's mean (latency never below <paramref name="LatencyFloorMs"/>, so a
/// cache-fast baseline does not make a millisecond look like a regression).
/// </summary>
public sealed record CanaryTolerances(
    double ErrorRate = 0.01,
    double AbstentionRate = 0.05,
    double CitationFailureRate = 0.05,
    double NegativeFeedbackRate = 0.10,
    double TopScoreDrop = 0.10,
    double LatencyIncrease = 0.50,
    double LatencyFloorMs = 20);

/// <summary>What one request through a canaried collection showed. Null: the signal does not apply (a search has no abstention).</summary>
public sealed record CanaryOutcome(bool Error, double LatencyMs, double? TopScore = null, bool? Abstained = null, bool? CitationFailure = null);

public enum CanaryState
{
    Running,
    RolledBack,
    Promoted,
    Stopped,
}

/// <summary>One signal of one canary at the moment asked.</summary>
public sealed record SignalStatus(string Name, long BaselineCount, double BaselineMean, long CandidateCount, double CandidateMean, double Tolerance, double LikelihoodRatio, double Threshold, bool Degraded);

/// <param name="State">running, rolled_back, promoted or stopped.</param>
public sealed record CanaryStatus(
    string Collection, CanaryPlan Plan, long BaselineVersion, long CandidateVersion, string State, string StartedAt, string? EndedAt, string? Reason,
    long BaselineRequests, long CandidateRequests, IReadOnlyList<SignalStatus> Signals);

/// <summary>
/// One collection's canary: routes callers, keeps each arm's signals, and after every observation compares the arms
/// with the mixture sequential test (<see cref="SequentialTest"/>), each signal at α / (number of signals) so the
/// whole canary's false-alarm rate stays at most α. Thread-safe; one lock per canary.
/// </summary>
public sealed class Canary
{
    public const string Error = "error_rate";
    public const string Latency = "latency_ms";
    public const string TopScore = "top_score";
    public const string Abstention = "abstention_rate";
    public const string CitationFailure = "citation_failure_rate";
    public const string NegativeFeedback = "negative_feedback_rate";

    private static readonly string[] SignalNames = [Error, Latency, TopScore, Abstention, CitationFailure, NegativeFeedback];

    private readonly Lock _lock = new();
    private readonly Dictionary<string, (RunningMoments Baseline, RunningMoments Candidate)> _signals =
        SignalNames.ToDictionary(n => n, _ => (new RunningMoments(), new RunningMoments()), StringComparer.Ordinal);

    private readonly string _salt;

    /// <param name="baselineVersion">The version the baseline alias named at the start: the arms are pinned, so moving an alias meanwhile changes neither.</param>
    /// <param name="candidateVersion">The version the candidate alias named at the start, the one a promotion promotes.</param>
    public Canary(string collection, CanaryPlan plan, DateTimeOffset started, long baselineVersion = 0, long candidateVersion = 0)
    {
        Collection = collection;
        Plan = plan;
        Started = started;
        BaselineVersion = baselineVersion;
        CandidateVersion = candidateVersion;
        _salt = $"{collection}\n{plan.Candidate}\n{started.UtcTicks}";
    }

    public string Collection { get; }

    public CanaryPlan Plan { get; }

    public long BaselineVersion { get; }

    public long CandidateVersion { get; }

    public DateTimeOffset Started { get; }

    public CanaryState State { get; private set; } = CanaryState.Running;

    public DateTimeOffset? Ended { get; private set; }

    public string? Reason { get; private set; }

    private CanaryTolerances Tolerances => Plan.Tolerances ?? new CanaryTolerances();

    /// <summary>Whether <paramref name="caller"/> reads the candidate: a stable hash of caller and canary, so a caller stays in one arm.</summary>
    public bool RoutesToCandidate(string caller)
    {
        if (State != CanaryState.Running)
        {
            return false;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{_salt}\n{caller}"));
        var fraction = BitConverter.ToUInt64(hash, 0) / (double)ulong.MaxValue;
        return fraction < Plan.Share;
    }

    /// <summary>Records one request's outcome and returns what the canary concluded (null: still running, nothing new).</summary>
    public CanaryEvent? Record(bool candidate, CanaryOutcome outcome)
    {
        lock (_lock)
        {
            if (State != CanaryState.Running)
            {
                return null;
            }

            Add(Error, candidate, outcome.Error ? 1 : 0);
            if (!outcome.Error)
            {
                Add(Latency, candidate, outcome.LatencyMs);
                if (outcome.TopScore is { } score)
                {
                    Add(TopScore, candidate, -score); // larger is worse for every signal
                }

                if (outcome.Abstained is { } abstained)
                {
                    Add(Abstention, candidate, abstained ? 1 : 0);
                }

                if (outcome.CitationFailure is { } failed)
                {
                    Add(CitationFailure, candidate, failed ? 1 : 0);
                }
            }

            return Decide();
        }
    }

    /// <summary>Records a rating of an answer the arm gave.</summary>
    public CanaryEvent? RecordFeedback(bool candidate, bool negative)
    {
        lock (_lock)
        {
            if (State != CanaryState.Running)
            {
                return null;
            }

            Add(NegativeFeedback, candidate, negative ? 1 : 0);
            return Decide();
        }
    }

    public void Stop(string reason)
    {
        lock (_lock)
        {
            if (State == CanaryState.Running)
            {
                (State, Ended, Reason) = (CanaryState.Stopped, DateTimeOffset.UtcNow, reason);
            }
        }
    }

    public CanaryStatus Status()
    {
        lock (_lock)
        {
            return new CanaryStatus(
                Collection, Plan, BaselineVersion, CandidateVersion, Name(State), Started.ToString("O"), Ended?.ToString("O"), Reason,
                _signals[Error].Baseline.Count, _signals[Error].Candidate.Count, [.. SignalNames.Select(Compare)]);
        }
    }

    /// <summary>A state as the API and webhooks spell it.</summary>
    public static string Name(CanaryState state) => state switch
    {
        CanaryState.Running => "running",
        CanaryState.RolledBack => "rolled_back",
        CanaryState.Promoted => "promoted",
        _ => "stopped",
    };

    private void Add(string signal, bool candidate, double value)
    {
        var (baseline, tried) = _signals[signal];
        (candidate ? tried : baseline).Add(value);
    }

    private CanaryEvent? Decide()
    {
        var degraded = SignalNames.Select(Compare).Where(s => s.Degraded).MaxBy(s => s.LikelihoodRatio);
        if (degraded is not null)
        {
            (State, Ended) = (CanaryState.RolledBack, DateTimeOffset.UtcNow);
            Reason = FormattableString.Invariant(
                $"{degraded.Name} degraded: candidate {degraded.CandidateMean:0.####} vs baseline {degraded.BaselineMean:0.####} over {degraded.CandidateCount}/{degraded.BaselineCount} requests (tolerance {degraded.Tolerance:0.####}, likelihood ratio {degraded.LikelihoodRatio:G3} >= {degraded.Threshold:0.#})");
            return new CanaryEvent(CanaryState.RolledBack, Reason, Status());
        }

        var (tried, compared) = (_signals[Error].Candidate.Count, _signals[Error].Baseline.Count);
        if (Plan.PromoteAfter is { } healthy && tried >= healthy && compared >= Plan.MinRequests)
        {
            (State, Ended) = (CanaryState.Promoted, DateTimeOffset.UtcNow);
            Reason = $"{tried} candidate requests (against {compared} on the baseline) without a significant degradation";
            return new CanaryEvent(CanaryState.Promoted, Reason, Status());
        }

        return null;
    }

    private SignalStatus Compare(string signal)
    {
        var (baseline, candidate) = _signals[signal];
        var tolerances = Tolerances;
        var scale = Math.Abs(baseline.Mean);
        var tolerance = signal switch
        {
            Error => tolerances.ErrorRate,
            Abstention => tolerances.AbstentionRate,
            CitationFailure => tolerances.CitationFailureRate,
            NegativeFeedback => tolerances.NegativeFeedbackRate,
            TopScore => tolerances.TopScoreDrop * scale,
            _ => Math.Max(tolerances.LatencyIncrease * scale, tolerances.LatencyFloorMs),
        };

        // The mixture's spread is the size of effect worth catching: a rate moving by 0.1, a score or latency by a
        // quarter of the baseline's. Much smaller, and the test is slow to believe a large effect (the mixture puts
        // little weight on it); the false-alarm bound holds whatever is chosen.
        var tau = Math.Max(tolerance, signal is TopScore or Latency ? Math.Max(0.25 * scale, 1e-6) : 0.1);
        var alpha = Plan.Alpha / SignalNames.Length;
        var verdict = SequentialTest.Compare(baseline, candidate, tolerance, alpha, tau, Plan.MinRequests);
        var sign = signal == TopScore ? -1 : 1; // shown as scores, not as the negated values compared (+ 0.0 turns -0 into 0)
        return new SignalStatus(signal, baseline.Count, (sign * baseline.Mean) + 0.0, candidate.Count, (sign * candidate.Mean) + 0.0, tolerance, verdict.LikelihoodRatio, 1 / alpha, verdict.Degraded);
    }
}

/// <summary>A canary's conclusion: rolled back (traffic back on the baseline) or promoted.</summary>
public sealed record CanaryEvent(CanaryState State, string Reason, CanaryStatus Status);
