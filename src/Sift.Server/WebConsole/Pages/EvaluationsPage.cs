using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sift.Core;
using Sift.Core.Storage;
using Sift.Evaluation.Reports;
using Sift.Evaluation.Statistics;
using Sift.Server.Auth;

namespace Sift.Server.WebConsole.Pages;

/// <summary>
/// Evaluation reports kept with the collection versions they evaluated (<c>sift eval retrieval --collection</c>,
/// <c>sift eval answers -c</c>, promote gates): listed, one in detail (metrics with confidence intervals, slices,
/// the worst queries with their passages and the judge's settings), and two compared query by query with the
/// paired test. A passage's text shows only when the caller may see its document.
/// </summary>
internal static class EvaluationsPage
{
    private const double Alpha = 0.05;

    public static void Map(RouteGroupBuilder console)
    {
        console.MapGet("/evaluations", (HttpContext context, CollectionHost host, EvaluationRuns started) =>
            List(context, host, started, null));

        console.MapPost("/evaluations/run", async (HttpContext context, CollectionHost host, EvaluationRuns started) =>
        {
            if (ConsoleEndpoints.SignedIn(context, out var caller, Scopes.Admin) is { } refused)
            {
                return refused;
            }

            var form = await ConsoleEndpoints.ReadFormAsync(context);
            var (collection, dataset, split) = (form["c"].ToString(), form["dataset"].ToString(), form["split"].ToString());
            if (!caller.CanUse(collection) || !host.Exists(collection))
            {
                return List(context, host, started, ConsoleLayout.Notice($"Collection '{collection}' was not found."));
            }

            try
            {
                var run = started.Start(collection, dataset, split.Length == 0 ? "test" : split, caller.Access);
                return List(context, host, started, ConsoleLayout.Notice($"Evaluating {collection} on {dataset} ({run.Split}): its report appears below when it is done (reload).", "ok"));
            }
            catch (SiftException ex)
            {
                return List(context, host, started, ConsoleLayout.Notice(ex.Message));
            }
        });

        console.MapGet("/evaluations/run", (HttpContext context, CollectionHost host, string? id) =>
        {
            if (ConsoleEndpoints.SignedIn(context, out var caller) is { } refused)
            {
                return refused;
            }

            if (Find(host, caller, id ?? "") is not { } run)
            {
                return ConsoleLayout.Page(context, "Evaluation", ConsoleLayout.Notice($"Run '{id}' was not found."));
            }

            ReportView view;
            try
            {
                using var document = JsonDocument.Parse(run.Json);
                view = ReportView.From(document.RootElement);
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                return ConsoleLayout.Page(context, "Evaluation", ConsoleLayout.Notice($"This {run.Kind} report is not an evaluation report the console can show."));
            }

            var collection = host.Find(run.Collection);
            return ConsoleLayout.Page(context, view.Title, Detail(run, view, document => collection is not null && Visible(collection, caller, document)));
        });

        console.MapGet("/evaluations/compare", (HttpContext context, CollectionHost host, string? a, string? b) =>
        {
            if (ConsoleEndpoints.SignedIn(context, out var caller) is { } refused)
            {
                return refused;
            }

            if (Find(host, caller, a ?? "") is not { } left || Find(host, caller, b ?? "") is not { } right)
            {
                return ConsoleLayout.Page(context, "Compare runs", ConsoleLayout.Notice("One of the runs was not found."));
            }

            IReadOnlyList<PairedComparison> comparisons;
            try
            {
                comparisons = RegressionGate.Compare(RunResults.Parse(left.Label, left.Json), RunResults.Parse(right.Label, right.Json));
            }
            catch (SiftException ex)
            {
                return ConsoleLayout.Page(context, "Compare runs", ConsoleLayout.Notice(ex.Message));
            }

            return ConsoleLayout.Page(context, "Compare runs", Html.Of($"""
                <p class="meta">B against A, query by query: paired bootstrap, 95% interval of the difference; a difference is significant when p &lt; {Alpha}.</p>
                <dl class="summary"><div><dt>A</dt><dd>{left.Label}</dd></div><div><dt>B</dt><dd>{right.Label}</dd></div></dl>
                <div class="scroll"><table class="comparison">
                <thead><tr><th scope="col">Metric</th><th scope="col" class="num">Queries</th><th scope="col" class="num">A</th><th scope="col" class="num">B</th><th scope="col" class="num">B − A</th><th scope="col">95% CI</th><th scope="col" class="num">p</th><th scope="col">Verdict</th></tr></thead>
                <tbody>{Html.Each(comparisons, c => Html.Of($"""
                    <tr class="{Verdict(c)}"><th scope="row">{c.Metric}</th><td class="num">{c.Queries}</td><td class="num">{c.MeanA:0.0000}</td><td class="num">{c.MeanB:0.0000}</td><td class="num">{c.Difference:+0.0000;-0.0000;0.0000}</td>
                    <td>{c.Low:+0.0000;-0.0000;0.0000} … {c.High:+0.0000;-0.0000;0.0000}</td><td class="num">{c.PValue:0.####}</td><td>{Verdict(c)}</td></tr>
                    """))}</tbody>
                </table></div>
                """));
        });
    }

    private static IResult List(HttpContext context, CollectionHost host, EvaluationRuns started, Markup? message)
    {
        if (ConsoleEndpoints.SignedIn(context, out var caller) is { } refused)
        {
            return refused;
        }

        var runs = Runs(host, caller);
        var admin = caller.Has(Scopes.Admin);
        var datasets = admin ? started.Datasets() : [];
        var start = datasets.Count == 0 ? Markup.Empty : Html.Of($"""
            <form method="post" action="/console/evaluations/run" class="card row">
            {ConsoleLayout.TokenField(context)}
            <label>Collection {PlaygroundPage.CollectionSelect("run-collection", "c", host.Names.Where(caller.CanUse), null)}</label>
            <label>Dataset <select name="dataset">{Html.Each(datasets, d => Html.Of($"<option>{d.Name}</option>"))}</select></label>
            <label>Split <select name="split">{Html.Each(datasets.SelectMany(d => d.Splits).Distinct(), s => Html.Of($"<option{(s == "test" ? new Markup(" selected") : Markup.Empty)}>{s}</option>"))}</select></label>
            <button type="submit" class="primary">Start a run</button>
            </form>
            """);
        var recent = started.Runs(caller.CanUse);
        var running = recent.Count == 0 ? Markup.Empty : Html.Of($"""
            <ul class="runs">{Html.Each(recent, r => Html.Of($"<li>{r.Started.UtcDateTime:HH:mm:ss} {r.Collection} on {r.Dataset} ({r.Split}): {r.State}{(r.Failure is null ? "" : ": " + r.Failure)}</li>"))}</ul>
            """);
        if (runs.Count == 0)
        {
            return ConsoleLayout.Page(context, "Evaluations", Html.Of($"""
                {message ?? Markup.Empty}{start}{running}
                {ConsoleLayout.Notice("No evaluation reports yet. Run sift eval retrieval --dataset DIR --collection NAME (or sift eval answers -c NAME), or start one here with sift serve --datasets DIR: the report is kept with the version it evaluated.", "info")}
                """));
        }

        Markup Options(string? selected) => Html.Each(runs, r => Html.Of($"<option value=\"{r.Key}\"{(r.Key == selected ? new Markup(" selected") : Markup.Empty)}>{r.Label}</option>"));
        return ConsoleLayout.Page(context, "Evaluations", Html.Of($"""
            {message ?? Markup.Empty}{start}{running}
            <form method="get" action="/console/evaluations/compare" class="card row">
            <label>Run A <select name="a">{Options(runs.Count > 1 ? runs[1].Key : runs[0].Key)}</select></label>
            <label>Run B <select name="b">{Options(runs[0].Key)}</select></label>
            <button type="submit" class="primary">Compare</button>
            </form>
            <div class="scroll"><table>
            <thead><tr><th scope="col">Run</th><th scope="col">Collection</th><th scope="col" class="num">Version</th><th scope="col">Kind</th><th scope="col">Dataset</th><th scope="col">Headline (95% CI)</th><th scope="col">When</th></tr></thead>
            <tbody>{Html.Each(runs, r => Html.Of($"""
                <tr><th scope="row"><a href="/console/evaluations/run?id={Uri.EscapeDataString(r.Key)}">#{r.Index + 1}</a></th><td>{r.Collection}</td><td class="num">{r.Version}</td><td>{r.Kind}</td><td>{r.Dataset}</td>
                <td>{(r.Headline is { } h ? $"{h.Name} {h.Mean:0.0000} ({h.Low:0.0000}–{h.High:0.0000})" : "—")}</td><td>{r.CreatedAt}</td></tr>
                """))}</tbody>
            </table></div>
            """));
    }

    private static string Verdict(PairedComparison comparison) =>
        !comparison.IsSignificant(Alpha) ? "noise" : comparison.Difference > 0 ? "better" : "worse";

    /// <summary>A stored report: <see cref="Key"/> is "collection:version:index" (its place among the version's reports).</summary>
    private sealed record Run(string Collection, long Version, int Index, string Kind, string CreatedAt, string Json, string? Dataset, MetricInterval? Headline)
    {
        public string Key => string.Create(CultureInfo.InvariantCulture, $"{Collection}:{Version}:{Index}");

        public string Label => string.Create(CultureInfo.InvariantCulture, $"{Collection} v{Version} {Kind} #{Index + 1} ({Dataset ?? "?"}, {CreatedAt})");
    }

    /// <summary>Every report of the collections the caller may use, newest first.</summary>
    private static List<Run> Runs(CollectionHost host, Caller caller) =>
        [.. host.Names.Where(caller.CanUse).SelectMany(name => host.Find(name)?.Versions is { } catalog
            ? catalog.List().SelectMany(version => catalog.Reports(version.Id).Select((report, index) => Describe(name, version.Id, index, report)))
            : []).OrderByDescending(r => r.CreatedAt, StringComparer.Ordinal)];

    private static Run? Find(CollectionHost host, Caller caller, string key)
    {
        var parts = key.Split(':');
        if (parts.Length != 3 || !caller.CanUse(parts[0]) || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var version)
            || !int.TryParse(parts[2], CultureInfo.InvariantCulture, out var index) || host.Find(parts[0])?.Versions is not { } catalog || catalog.Find(version) is null)
        {
            return null;
        }

        var reports = catalog.Reports(version);
        return index >= 0 && index < reports.Count ? Describe(parts[0], version, index, reports[index]) : null;
    }

    private static Run Describe(string collection, long version, int index, VersionReport report)
    {
        string? dataset = null;
        MetricInterval? headline = null;
        try
        {
            using var document = JsonDocument.Parse(report.Json);
            var view = ReportView.From(document.RootElement);
            dataset = view.Title[(view.Title.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
            headline = view.Metrics.FirstOrDefault(m => m.Name == view.Headline) ?? view.Metrics.FirstOrDefault();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            // A report of another shape (a promote gate's verdict): listed by kind and time only.
        }

        return new Run(collection, version, index, report.Kind, report.CreatedAt, report.Json, dataset, headline);
    }

    /// <summary>
    /// One of the worst queries. A report keeps what every passage said when it ran, whoever ran it: a passage of a
    /// document the caller may not see is left out (id and score too), and the answer is shown only when the caller
    /// may see every passage it was given.
    /// </summary>
    private static Markup Case(CaseView c, Func<string, bool> visible)
    {
        var shown = c.Retrieved.Where(r => visible(r.DocumentId)).ToList();
        var hidden = c.Retrieved.Count - shown.Count;
        var answer = c.Answer is null ? Markup.Empty
            : c.Retrieved.Count > 0 && hidden == 0 ? Html.Of($"<p class=\"answer-text\">{c.Answer}</p>")
            : Html.Of($"<p class=\"hint\">(answer withheld: it drew on passages this key may not see)</p>");
        return Html.Of($"""
            <details class="case card"><summary><strong>{c.Id}</strong> {c.Text} <span class="meta">{string.Join(", ", c.Metrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key} {m.Value:0.000}")))}</span></summary>
            {answer}
            <ol class="hits">{Html.Each(shown, r => Html.Of($"""
                <li class="hit{(r.Relevant == true ? " relevant" : "")}"><div class="hit-head"><span>{r.DocumentId}</span> <span class="score">{r.Score:0.000}</span>{(r.Relevant == true ? Html.Of($"<span class=\"badge\">relevant</span>") : Markup.Empty)}</div>
                {(r.Text is null ? Markup.Empty : Html.Of($"<p class=\"snippet\">{r.Text}</p>"))}</li>
                """))}</ol>
            {Html.If(hidden > 0, () => Html.Of($"<p class=\"hint\">{hidden} passage(s) of documents this key may not see are not shown.</p>"))}
            </details>
            """);
    }

    private static bool Visible(IChunkStore collection, Caller caller, string documentId) =>
        collection.Document(documentId) is { } found && caller.Access.Allows(found.Document.Metadata);

    private static Markup Detail(Run run, ReportView view, Func<string, bool> visible) => Html.Of($"""
        <dl class="summary">{Html.Each(view.Provenance.Prepend(KeyValuePair.Create("kept with", $"{run.Collection} version {run.Version}")), p => Html.Of($"<div><dt>{p.Key}</dt><dd>{p.Value}</dd></div>"))}</dl>
        <h2>Metrics</h2>
        <div class="scroll"><table>
        <thead><tr><th scope="col">Metric</th><th scope="col" class="num">Mean</th><th scope="col">95% CI</th></tr></thead>
        <tbody>{Html.Each(view.Metrics, m => Html.Of($"<tr{(m.Name == view.Headline ? new Markup(" class=\"headline\"") : Markup.Empty)}><th scope=\"row\">{m.Name}</th><td class=\"num\">{m.Mean:0.0000}</td><td>{m.Low:0.0000} – {m.High:0.0000}</td></tr>"))}</tbody>
        </table></div>
        {Html.If(view.Slices.Count > 0, () => Html.Of($"""
            <h2>Slices</h2>
            <div class="scroll"><table>
            <thead><tr><th scope="col">Slice</th><th scope="col" class="num">Queries</th>{Html.Each(view.Slices[0].Metrics, m => Html.Of($"<th scope=\"col\" class=\"num\">{m.Name}</th>"))}</tr></thead>
            <tbody>{Html.Each(view.Slices, s => Html.Of($"<tr><th scope=\"row\">{s.Name}</th><td class=\"num\">{s.Count}</td>{Html.Each(s.Metrics, m => Html.Of($"<td class=\"num\">{m.Mean:0.000}</td>"))}</tr>"))}</tbody>
            </table></div>
            """))}
        {Html.If(view.Judge.Count > 0, () => Html.Of($"""<h2>Judge</h2><dl class="summary">{Html.Each(view.Judge, p => Html.Of($"<div><dt>{p.Key}</dt><dd>{p.Value}</dd></div>"))}</dl>"""))}
        <h2>Worst queries</h2>
        {(view.WorstCases.Count == 0 ? ConsoleLayout.Notice("This report keeps no per-query cases (it was written redacted).", "info") : Html.Each(view.WorstCases, c => Case(c, visible)))}
        """);
}
