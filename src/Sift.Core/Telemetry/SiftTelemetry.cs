using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Sift.Core.Telemetry;

/// <summary>
/// Sift's traces and metrics, through System.Diagnostics (OpenTelemetry listens when a host wires it up; otherwise
/// they cost next to nothing). One span per pipeline stage, with the same name as its latency histogram's tag.
/// </summary>
public static class SiftTelemetry
{
    public const string Name = "Sift";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    private static readonly Histogram<double> StageDuration = Meter.CreateHistogram<double>("sift.stage.duration", "ms", "Latency of one pipeline stage (embed, bm25, vector, fuse, rerank, assemble, generate, cite-check)");

    public static readonly Counter<long> Tokens = Meter.CreateCounter<long>("sift.llm.tokens", "{token}", "LLM tokens by direction (input, output)");

    public static readonly Counter<double> Cost = Meter.CreateCounter<double>("sift.llm.cost", "USD", "Estimated LLM cost");

    public static readonly Counter<long> CacheRequests = Meter.CreateCounter<long>("sift.cache.requests", "{request}", "Answer/search cache lookups by kind (exact, semantic) and result (hit, miss)");

    public static readonly Histogram<double> TopScore = Meter.CreateHistogram<double>("sift.retrieval.top_score", null, "Score of the best retrieved chunk per query");

    public static readonly Counter<long> QueryLogLost = Meter.CreateCounter<long>("sift.querylog.lost", "{entry}", "Query log entries the background writer could not write (a failing disk)");

    public static readonly Counter<long> Answers = Meter.CreateCounter<long>("sift.answers", "{answer}", "Answers by outcome (answered, abstained, degraded)");

    public static readonly Counter<long> CanaryEvents = Meter.CreateCounter<long>("sift.canary.events", "{event}", "Canaries ended, by collection and outcome (rolled_back, promoted)");

    public static readonly Counter<long> DriftAlerts = Meter.CreateCounter<long>("sift.drift.alerts", "{alert}", "Drift checks that found a feature past its threshold, by collection and feature");

    /// <summary>Starts the span of one stage; disposing it ends the span and records the stage's latency.</summary>
    public static Stage Start(string stage) => new(stage, Source.StartActivity(stage), Stopwatch.GetTimestamp());

    public readonly struct Stage(string name, Activity? activity, long started) : IDisposable
    {
        public Activity? Activity => activity;

        public void Dispose()
        {
            StageDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("stage", name));
            activity?.Dispose();
        }
    }
}
