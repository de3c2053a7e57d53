using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sift.Core;
using Sift.Evaluation;
using Sift.Generation.Logging;
using Sift.Server.Auth;
using Sift.Server.Rollout;

namespace Sift.Server.WebConsole.Pages;

/// <summary>
/// Traffic from the query log (the entries behind sift.* metrics): request rate, latency percentiles, cache hit
/// rate, cost per day, abstention rate and the top-score distribution, charted with uPlot; drift of a collection for
/// administrators (on request: it re-runs logged queries); and the log itself, searchable. A key sees its own
/// entries; an administrator every caller's entries of the collections the key may use, with the question and
/// answer of another caller's entry shown only when the administrator may see every document it drew on.
/// </summary>
internal static class MonitoringPage
{
    /// <summary>Entries the tiles and charts are computed from (their numbers only); beyond it, the newest.</summary>
    private const int MaxEntries = 200_000;
    private const int ShownEntries = 100;

    private static readonly (string Value, string Label, TimeSpan Span)[] Windows =
    [
        ("1h", "last hour", TimeSpan.FromHours(1)), ("24h", "last 24 hours", TimeSpan.FromHours(24)), ("7d", "last 7 days", TimeSpan.FromDays(7)), ("30d", "last 30 days", TimeSpan.FromDays(30)),
    ];

    private static readonly string[] Flags = ["Abstained", "Degraded", "Extractive"];

    public static void Map(RouteGroupBuilder console)
    {
        console.MapGet("/monitoring", async (HttpContext context, CollectionHost host, QueryLog log, DriftWatch watch, ConsoleAssets assets, string? c, string? window, string? kind, string? text, string? flag, string? drift) =>
        {
            if (ConsoleEndpoints.SignedIn(context, out var caller) is { } refused)
            {
                return refused;
            }

            var allowed = host.Names.Where(caller.CanUse).ToList();
            c = c is not null && allowed.Contains(c) ? c : null; // a collection the key may not use is not named, not even back
            var collections = c is not null ? [c] : allowed;
            var span = Windows.FirstOrDefault(w => w.Value == window).Span;
            span = span == default ? TimeSpan.FromHours(24) : span;
            kind = kind is "ask" or "search" ? kind : null;
            flag = Flags.Contains(flag) ? flag : null;
            var since = DateTimeOffset.UtcNow - span;
            var own = caller.Has(Scopes.Admin) ? null : caller.Subject;
            var filter = new LogFilter(collections, since, own, kind, text, flag, MaxEntries);
            var measures = log.Measure(filter);
            var rows = Readable(log.Browse(filter with { Limit = ShownEntries }), caller, host);
            var drifts = !caller.Has(Scopes.Admin) || c is null ? Markup.Empty
                : drift == "1" ? await DriftAsync(watch, c, span, context.RequestAborted)
                : Html.Of($"""<p><a class="button" href="{context.Request.Path}{context.Request.QueryString}&amp;drift=1#drift">Check drift on {c}</a> <span class="hint">(re-runs this window's and the 7 windows before its logged queries)</span></p>""");
            var filters = Filters(allowed, c, window ?? "24h", kind, text, flag);
            var scope = own is null ? "queries (every caller's)" : "queries (yours)";
            return ConsoleLayout.Page(context, "Monitoring", Html.Of($"""
                {filters}
                <p class="meta">{measures.Count}{(measures.Count == MaxEntries ? "+ (the newest; counts and rates are of these)" : "")} {scope} in the {Windows.First(w => w.Span == span).Label}{(c is null ? "" : $" on {c}")}.</p>
                {Summary(measures, span)}
                {Charts(measures, since, span)}
                {drifts}
                <h2 id="log">Query log</h2>
                {Log(rows, own is null)}
                """), Html.Of($"""
                <link rel="stylesheet" href="{assets.Url("vendor/uPlot-1.6.32.min.css")}">
                <script src="{assets.Url("vendor/uPlot-1.6.32.iife.min.js")}" defer></script>
                """));
        });
    }

    private static Markup Filters(List<string> collections, string? c, string window, string? kind, string? text, string? flag)
    {
        static Markup Option(string value, string label, string? selected) =>
            value == (selected ?? "") ? Html.Of($"<option value=\"{value}\" selected>{label}</option>") : Html.Of($"<option value=\"{value}\">{label}</option>");
        return Html.Of($"""
            <form method="get" action="/console/monitoring" class="card row" role="search">
            <label>Collection <select name="c">{Option("", "all", c)}{Html.Each(collections, n => Option(n, n, c))}</select></label>
            <label>Window <select name="window">{Html.Each(Windows, w => Option(w.Value, w.Label, window))}</select></label>
            <label>Kind <select name="kind">{Option("", "all", kind)}{Option("ask", "answers", kind)}{Option("search", "searches", kind)}</select></label>
            <label>Flag <select name="flag">{Option("", "any", flag)}{Html.Each(Flags, f => Option(f, f.ToLowerInvariant(), flag))}</select></label>
            <label>Text <input name="text" type="search" value="{text}" placeholder="words in question or answer"></label>
            <button type="submit" class="primary">Apply</button>
            </form>
            """);
    }

    /// <summary>
    /// The entries with the question and answer of another caller's entry withheld unless the reader may see every
    /// document it drew on (an administrator whose groups do not reach a restricted document learns nothing of it).
    /// </summary>
    private static List<LogEntry> Readable(IReadOnlyList<LogEntry> entries, Caller caller, CollectionHost host)
    {
        var visible = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        bool Sees(LogEntry entry)
        {
            if (entry.Caller == caller.Subject)
            {
                return true;
            }

            if (!visible.TryGetValue(entry.Collection, out var documents))
            {
                documents = visible[entry.Collection] = host.Find(entry.Collection) is { } collection
                    ? [.. collection.Documents().Where(d => caller.Access.Allows(d.Metadata)).Select(d => d.Id)]
                    : [];
            }

            return entry.Documents.All(documents.Contains);
        }

        return [.. entries.Select(e => Sees(e) ? e : e with { Question = null, Answer = null })];
    }

    private static Markup Summary(IReadOnlyList<LogMeasure> entries, TimeSpan span)
    {
        var latencies = entries.Where(e => !e.Cached).Select(e => e.LatencyMs).Order().ToList();
        var asks = entries.Where(e => e.Kind == "ask").ToList();
        var total = entries.Sum(e => e.Cost);
        var days = Math.Max(1.0, span.TotalDays);
        string Rate(int part, int whole) => whole == 0 ? "—" : string.Create(CultureInfo.InvariantCulture, $"{100.0 * part / whole:0.#}%");
        string Ms(double fraction) => latencies.Count == 0 ? "—" : string.Create(CultureInfo.InvariantCulture, $"{LatencyBenchmark.Percentile(latencies, fraction):0.#} ms");
        var tiles = new (string Label, string Value)[]
        {
            ("requests", entries.Count.ToString(CultureInfo.InvariantCulture)),
            ("per minute", string.Create(CultureInfo.InvariantCulture, $"{entries.Count / span.TotalMinutes:0.##}")),
            ("latency p50", Ms(0.50)),
            ("latency p95", Ms(0.95)),
            ("latency p99", Ms(0.99)),
            ("cache hit rate", Rate(entries.Count(e => e.Cached), entries.Count)),
            ("abstention rate", Rate(asks.Count(e => e.Abstained == true), asks.Count)),
            ("cost", string.Create(CultureInfo.InvariantCulture, $"${total:0.####} (${total / (decimal)days:0.####}/day)")),
            ("rated down", asks.Count(a => a.RatedDown).ToString(CultureInfo.InvariantCulture)),
        };
        return Html.Of($"<dl class=\"tiles\">{Html.Each(tiles, t => Html.Of($"<div><dt>{t.Label}</dt><dd>{t.Value}</dd></div>"))}</dl>");
    }

    /// <summary>Series for uPlot, in data attributes (console.js draws them; without script the tiles above say it in numbers).</summary>
    private static Markup Charts(IReadOnlyList<LogMeasure> entries, DateTimeOffset since, TimeSpan span)
    {
        var step = span <= TimeSpan.FromHours(24) ? TimeSpan.FromHours(1) : TimeSpan.FromDays(1);
        var start = since.ToUnixTimeSeconds() / (long)step.TotalSeconds * (long)step.TotalSeconds;
        var buckets = (int)Math.Ceiling(span / step) + 1;
        var x = Enumerable.Range(0, buckets).Select(i => start + (i * (long)step.TotalSeconds)).ToArray();
        var byBucket = entries.ToLookup(e => (int)((e.At.ToUnixTimeSeconds() - start) / (long)step.TotalSeconds));
        double?[] Per(Func<IEnumerable<LogMeasure>, double?> value) => [.. Enumerable.Range(0, buckets).Select(i => value(byBucket[i]))];
        double? Quantile(IEnumerable<LogMeasure> bucket, double fraction)
        {
            var sorted = bucket.Where(e => !e.Cached).Select(e => e.LatencyMs).Order().ToList();
            return sorted.Count == 0 ? null : Math.Round(LatencyBenchmark.Percentile(sorted, fraction), 1);
        }

        var scores = entries.Where(e => e.TopScore is not null).Select(e => e.TopScore!.Value).ToList();
        var (edges, counts) = Evaluation.Statistics.Histogram.EqualWidth(scores, 20);
        var unit = step == TimeSpan.FromHours(1) ? "hour" : "day";
        var charts = new (string Id, string Title, object Data)[]
        {
            ("rate", $"Requests per {unit}", new { kind = "time", series = new[] { "requests" }, data = new object[] { x, Per(b => b.Count()) } }),
            ("latency", "Latency (ms, not cached)", new { kind = "time", series = new[] { "p50", "p95" }, data = new object[] { x, Per(b => Quantile(b, 0.5)), Per(b => Quantile(b, 0.95)) } }),
            ("cost", $"Cost per {unit} (USD)", new { kind = "time", series = new[] { "cost" }, data = new object[] { x, Per(b => (double)b.Sum(e => e.Cost)) } }),
            ("abstention", $"Abstention rate per {unit}", new { kind = "time", series = new[] { "abstained" }, data = new object[] { x, Per(b => b.Count(e => e.Kind == "ask") is var n and > 0 ? Math.Round((double)b.Count(e => e.Abstained == true) / n, 3) : null) } }),
            ("scores", "Top score distribution", new { kind = "bars", series = new[] { "queries" }, data = new object[] { edges, counts } }),
        };
        return Html.Of($"""
            <div class="charts">{Html.Each(charts, chart => Html.Of($"""
                <figure class="chart card"><figcaption>{chart.Title}</figcaption><div id="chart-{chart.Id}" class="plot" data-chart="{JsonSerializer.Serialize(chart.Data)}"></div></figure>
                """))}</div>
            """);
    }

    private static async Task<Markup> DriftAsync(DriftWatch watch, string collection, TimeSpan window, CancellationToken cancellationToken)
    {
        Evaluation.Monitoring.DriftReport? report;
        try
        {
            report = await watch.CheckAsync(collection, window, window * 7, cancellationToken);
        }
        catch (SiftException ex)
        {
            return ConsoleLayout.Notice($"Drift could not be checked: {ex.Message}");
        }

        if (report is null)
        {
            return Markup.Empty;
        }

        return Html.Of($"""
            <h2 id="drift">Drift</h2>
            <p class="meta">This window ({report.CurrentCount} queries) against the 7 windows before it ({report.ReferenceCount}); a feature drifts when PSI ≥ {report.Thresholds.Psi} and p &lt; {report.Thresholds.PValue}.{(report.Note is null ? "" : " " + report.Note)}</p>
            {Html.If(report.Alert, () => ConsoleLayout.Notice($"Drifted: {string.Join(", ", report.Drifted)}", "warn"))}
            {Html.If(report.Features.Count > 0, () => Html.Of($"""
                <div class="scroll"><table>
                <thead><tr><th scope="col">Feature</th><th scope="col" class="num">PSI</th><th scope="col">Test</th><th scope="col" class="num">p</th><th scope="col">Mean (reference → now)</th><th scope="col">Drifted</th></tr></thead>
                <tbody>{Html.Each(report.Features, f => Html.Of($"""
                    <tr{(f.Drifted ? new Markup(" class=\"worse\"") : Markup.Empty)}><th scope="row">{f.Name}</th><td class="num">{f.Psi:0.000}</td><td>{f.Test}</td><td class="num">{f.PValue:0.####}</td>
                    <td>{(f.ReferenceMean is { } before && f.CurrentMean is { } now ? string.Create(CultureInfo.InvariantCulture, $"{before:0.###} → {now:0.###}") : "")}</td><td>{(f.Drifted ? "yes" : "no")}</td></tr>
                    """))}</tbody>
                </table></div>
                """))}
            """);
    }

    private static Markup Log(IReadOnlyList<LogEntry> entries, bool showCaller)
    {
        if (entries.Count == 0)
        {
            return ConsoleLayout.Notice("No queries match.", "info");
        }

        return Html.Of($"""
            <div class="scroll"><table class="log">
            <thead><tr><th scope="col">When (UTC)</th><th scope="col">Kind</th><th scope="col">Collection</th>{Html.If(showCaller, () => Html.Of($"<th scope=\"col\">Caller</th>"))}<th scope="col">Question</th><th scope="col" class="num">ms</th><th scope="col" class="num">Top score</th><th scope="col">Flags</th><th scope="col">Feedback</th></tr></thead>
            <tbody>{Html.Each(entries, e => Html.Of($"""
                <tr id="entry-{e.Id}"><td>{e.At.UtcDateTime:yyyy-MM-dd HH:mm:ss}</td><td>{e.Kind}</td><td>{e.Collection}</td>{Html.If(showCaller, () => Html.Of($"<td>{e.Caller}</td>"))}
                <td>{(e.Question ?? "(redacted, or withheld from this key)")}{Html.If(e.Answer is not null, () => Html.Of($"<details><summary>answer</summary><p>{e.Answer}</p></details>"))}</td>
                <td class="num">{(e.Cached ? "cached" : e.LatencyMs.ToString("0.#", CultureInfo.InvariantCulture))}</td><td class="num">{(e.TopScore is { } top ? top.ToString("0.000", CultureInfo.InvariantCulture) : "")}</td>
                <td>{FlagText(e.Flags)}</td>
                <td>{Html.Each(e.Feedback, f => Html.Of($"<span class=\"rating {(f.Rating > 0 ? "up" : "down")}\">{(f.Rating > 0 ? "helpful" : "not helpful")}{(f.Comment is null ? "" : ": " + f.Comment)}</span>"))}</td></tr>
                """))}</tbody>
            </table></div>
            """);
    }

    private static string FlagText(Generation.AnswerFlags? flags) => flags is null ? "" : string.Join(", ", new[]
    {
        flags.Abstained ? "abstained" : null,
        flags.Degraded ? "degraded" : null,
        flags.Extractive ? "extractive" : null,
        flags.UnsupportedCitations > 0 ? "unsupported citation" : null,
        flags.InvalidCitations > 0 ? "invalid citation" : null,
    }.OfType<string>());
}
