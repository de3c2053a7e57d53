using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sift.Core.Storage;
using Sift.Generation;
using Sift.Server.Auth;
using Sift.Server.Endpoints;
using Sift.Server.Http;
using Sift.Server.Rollout;

namespace Sift.Server.WebConsole.Pages;

/// <summary>
/// Ask or search a collection (or a named version of it). With JavaScript the answer streams in (POST /console/ask,
/// Server-Sent Events ending in the rendered answer); without it, the same form is a GET and the page comes back
/// answered. Citations open their passage with the quoted span marked; feedback goes to the query log.
/// </summary>
internal static partial class PlaygroundPage
{
    /// <summary>The retrieval modes a form offers; "" is the collection's own.</summary>
    public static readonly string[] Modes = ["", .. Retrieval.RetrievalSettings.Modes];

    public static void Map(RouteGroupBuilder console)
    {
        console.MapGet("/", async (HttpContext context, CollectionHost host, string? c, string? q, string? action, string? mode, string? k, string? version) =>
        {
            if (ConsoleEndpoints.SignedIn(context, out var caller) is { } refused)
            {
                return refused;
            }

            var collections = host.Names.Where(caller.CanUse).ToList();
            c ??= collections.FirstOrDefault();
            var result = Markup.Empty;
            if (!string.IsNullOrWhiteSpace(q) && c is not null)
            {
                var reference = Reference(c, version);
                result = action == "search"
                    ? await SearchResultsAsync(context, reference, q, ConsoleEndpoints.Number(k), mode)
                    : await AnswerAsync(context, reference, q, ConsoleEndpoints.Number(k), mode);
            }

            return ConsoleLayout.Page(context, "Playground", Html.Of($"""
                {Form(context, caller, collections, c, q, mode, ConsoleEndpoints.Number(k), version)}
                <section id="result" aria-live="polite">{result}</section>
                """));
        });

        console.MapPost("/ask", async (HttpContext context) =>
        {
            if (ConsoleEndpoints.SignedIn(context, out _) is { } refused)
            {
                return refused;
            }

            var form = await ConsoleEndpoints.ReadFormAsync(context);
            var reference = Reference(form["c"].ToString(), form["version"].ToString());
            var request = new AskRequest(form["q"].ToString(), ConsoleEndpoints.Number(form["k"].ToString()), null, EmptyAsNull(form["mode"].ToString()), null);
            return await QueryEndpoints.AskAsync(reference, request, context, stream: true, result => ("answer", new { html = Answer(context, reference, result).Value }));
        });

        console.MapGet("/passage", (HttpContext context, CollectionHost host, Canaries canaries, string? c, string? doc, string? chunk, string? start, string? end) =>
        {
            if (ConsoleEndpoints.SignedIn(context, out _) is { } refused)
            {
                return refused;
            }

            if (string.IsNullOrEmpty(c) || string.IsNullOrEmpty(doc))
            {
                return ConsoleLayout.Page(context, "Passage", ConsoleLayout.Notice("Name a collection (c) and a document (doc) to open."));
            }

            var citedChunk = long.TryParse(chunk, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : (long?)null;
            var (from, to) = (ConsoleEndpoints.Number(start), ConsoleEndpoints.Number(end));

            if (Guard.CheckRead(context, c, host, canaries, out var caller, out var served) is { } denied)
            {
                return ConsoleLayout.Page(context, "Passage", ConsoleLayout.Notice(ConsoleEndpoints.Describe(denied)));
            }

            // A document the caller may not see is, to them, one that does not exist.
            if (served.Target.Document(doc) is not { } found || !caller.Access.Allows(found.Document.Metadata))
            {
                return ConsoleLayout.Page(context, "Passage", ConsoleLayout.Notice($"Document '{doc}' was not found in '{c}'."));
            }

            var document = found.Document;
            var sections = Html.Each(found.Chunks, part =>
            {
                var cited = part.Id == citedChunk;
                var text = cited && from is { } first && to is { } last ? Html.Highlight(part.Text, first - part.Start, last - part.Start) : Html.Of($"{part.Text}");
                var heading = part.HeadingPath.Count > 0 ? Html.Of($"<p class=\"path\">{string.Join(" › ", part.HeadingPath)}</p>") : Markup.Empty;
                var page = part.Page is { } number ? Html.Of($"<p class=\"path\">page {number}</p>") : Markup.Empty;
                return Html.Of($"<section id=\"chunk-{part.Id}\" class=\"chunk{(cited ? " cited" : "")}\">{heading}{page}<p class=\"text\">{text}</p></section>");
            });
            return ConsoleLayout.Page(context, document.Title.Length > 0 ? document.Title : document.Id, Html.Of($"""
                <p class="meta"><span>{c}</span> · <span>{document.Id}</span> · <span>{Path.GetFileName(document.Source)}</span></p>
                <article class="document">{sections}</article>
                """));
        });

        console.MapPost("/feedback", async (HttpContext context) =>
        {
            if (ConsoleEndpoints.SignedIn(context, out _) is { } refused)
            {
                return refused;
            }

            var form = await ConsoleEndpoints.ReadFormAsync(context);
            var rating = form["rating"].ToString();
            var comment = form["comment"].ToString();
            var result = QueryEndpoints.Feedback(new FeedbackRequest(form["answerId"].ToString(), rating, comment.Length == 0 ? null : comment), context);
            var message = result is IStatusCodeHttpResult { StatusCode: StatusCodes.Status202Accepted }
                ? ConsoleLayout.Notice(rating == "up" ? "Thanks: recorded as helpful." : "Thanks: recorded as not helpful.", "ok")
                : ConsoleLayout.Notice($"Feedback not recorded: {ConsoleEndpoints.Describe(result)}");
            return context.Request.Headers.ContainsKey("HX-Request") ? ConsoleLayout.Fragment(context, message) : ConsoleLayout.Page(context, "Feedback", message);
        });
    }

    /// <summary>"name", or "name@version" when a version or alias was named.</summary>
    public static string Reference(string collection, string? version) =>
        string.IsNullOrWhiteSpace(version) ? collection : $"{collection}@{version.Trim()}";

    public static string? EmptyAsNull(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    /// <summary>A select of the caller's collections.</summary>
    public static Markup CollectionSelect(string id, string name, IEnumerable<string> collections, string? selected) => Html.Of($"""
        <select id="{id}" name="{name}">{Html.Each(collections, n => n == selected ? Html.Of($"<option selected>{n}</option>") : Html.Of($"<option>{n}</option>"))}</select>
        """);

    public static Markup ModeSelect(string id, string name, string? selected) => Html.Of($"""
        <select id="{id}" name="{name}">{Html.Each(Modes, m => Html.Of($"<option value=\"{m}\"{(m == (selected ?? "") ? new Markup(" selected") : Markup.Empty)}>{(m.Length == 0 ? "collection default" : m)}</option>"))}</select>
        """);

    private static Markup Form(HttpContext context, Caller caller, List<string> collections, string? c, string? q, string? mode, int? k, string? version)
    {
        if (collections.Count == 0)
        {
            return ConsoleLayout.Notice("No collections to query yet: upload documents under Collections (or run sift ingest).", "info");
        }

        var versionField = caller.Has(Scopes.Admin)
            ? Html.Of($"""<label>Version or alias <input name="version" value="{version}" placeholder="prod" size="8"></label>""")
            : Markup.Empty;
        return Html.Of($"""
            <form id="ask" method="get" action="/console/" class="card">
            <div class="row">
            <label>Collection {CollectionSelect("collection", "c", collections, c)}</label>
            {versionField}
            <label>Retrieval {ModeSelect("mode", "mode", mode)}</label>
            <label>Passages <input name="k" type="number" min="1" max="100" value="{k ?? 10}" size="4"></label>
            </div>
            <label for="question">Question</label>
            <textarea id="question" name="q" rows="2" required maxlength="{AskPipeline.MaxQuestionLength}">{q}</textarea>
            <div class="row">
            <button type="submit" name="action" value="ask" class="primary">Ask</button>
            <button type="submit" name="action" value="search">Search</button>
            </div>
            </form>
            """);
    }

    private static async Task<Markup> SearchResultsAsync(HttpContext context, string reference, string query, int? k, string? mode)
    {
        var (problem, result) = await QueryEndpoints.SearchAsync(reference, new SearchRequest(query, k, EmptyAsNull(mode), null), context);
        return problem is not null ? ConsoleLayout.Notice(ConsoleEndpoints.Describe(problem)) : Hits(reference, result!, null);
    }

    /// <summary>What makes two results the same passage, in one collection or two: its document and its text.</summary>
    public static string PassageKey(SearchHit hit) => $"{hit.DocumentId}\n{hit.Text}";

    /// <summary>Search results; a passage not in <paramref name="other"/> (the other side of a comparison) is marked.</summary>
    public static Markup Hits(string reference, SearchResult result, IReadOnlySet<string>? other)
    {
        if (result.Results.Count == 0)
        {
            return ConsoleLayout.Notice("Nothing matched.", "info");
        }

        return Html.Of($"""
            {Html.If(result.Degraded is not null, () => ConsoleLayout.Notice($"Degraded: {result.Degraded}", "warn"))}
            <p class="meta">{Served(result.Served)}{(result.Cached ? " · from cache" : "")}</p>
            <ol class="hits">{Html.Each(result.Results, hit => Html.Of($"""
                <li class="hit{(other is not null && !other.Contains(PassageKey(hit)) ? " only-here" : "")}" data-chunk="{hit.ChunkId}">
                <div class="hit-head"><a href="{PassageUrl(reference, hit.DocumentId, hit.ChunkId, null, null)}">{(hit.Title.Length > 0 ? hit.Title : hit.DocumentId)}</a>
                <span class="score" title="score">{hit.Score:0.000}</span>{Html.If(other is not null && !other.Contains(PassageKey(hit)), () => Html.Of($"<span class=\"badge\">only here</span>"))}</div>
                <p class="snippet">{hit.Snippet}</p>
                <p class="path">{hit.Source}{(hit.HeadingPath.Count > 0 ? " › " + string.Join(" › ", hit.HeadingPath) : "")}{(hit.Page is { } page ? $" · page {page}" : "")}</p>
                </li>
                """))}</ol>
            """);
    }

    private static async Task<Markup> AnswerAsync(HttpContext context, string reference, string question, int? k, string? mode)
    {
        var response = await QueryEndpoints.AskAsync(reference, new AskRequest(question, k, null, EmptyAsNull(mode), null), context, stream: false, _ => default);
        return response is IValueHttpResult { Value: AnswerResult answer } ? Answer(context, reference, answer) : ConsoleLayout.Notice(ConsoleEndpoints.Describe(response));
    }

    /// <summary>An answer: its text with citation markers linked, the citations, flags, timings, usage, and the feedback form.</summary>
    public static Markup Answer(HttpContext context, string reference, AnswerResult answer)
    {
        var flags = answer.Flags;
        var badges = new List<Markup>();
        if (flags.Abstained)
        {
            badges.Add(Html.Of($"<li class=\"flag warn\">abstained</li>"));
        }

        if (flags.Degraded)
        {
            badges.Add(Html.Of($"<li class=\"flag warn\">degraded{(flags.Note is null ? "" : ": " + flags.Note)}</li>"));
        }

        if (flags.Extractive)
        {
            badges.Add(Html.Of($"<li class=\"flag\">extractive</li>"));
        }

        if (flags.UnsupportedCitations > 0)
        {
            badges.Add(Html.Of($"<li class=\"flag warn\">{flags.UnsupportedCitations} unsupported citation(s)</li>"));
        }

        if (flags.InvalidCitations > 0)
        {
            badges.Add(Html.Of($"<li class=\"flag warn\">{flags.InvalidCitations} invalid citation(s) removed</li>"));
        }

        if (flags.UncitedSentences > 0)
        {
            badges.Add(Html.Of($"<li class=\"flag\">{flags.UncitedSentences} uncited sentence(s)</li>"));
        }

        // Guardrails never act silently: what was withheld, flagged or refused, and why.
        foreach (var passage in flags.Withheld ?? [])
        {
            badges.Add(Html.Of($"<li class=\"flag warn\">withheld from the model: {passage.DocumentId} ({passage.Reason})</li>"));
        }

        foreach (var passage in flags.Flagged ?? [])
        {
            badges.Add(Html.Of($"<li class=\"flag warn\">possible prompt injection: {passage.DocumentId} ({passage.Reason})</li>"));
        }

        if (flags.Refused is { } refused)
        {
            badges.Add(Html.Of($"<li class=\"flag warn\">refused: {refused}</li>"));
        }

        foreach (var pii in flags.Pii ?? [])
        {
            badges.Add(Html.Of($"<li class=\"flag\">personal data: {pii.Type} in the {pii.Where}</li>"));
        }

        return Html.Of($"""
            <article class="answer card" data-answer-id="{answer.Id}">
            <div class="answer-text">{LinkMarkers(answer.Answer)}</div>
            {Html.If(badges.Count > 0, () => Html.Of($"<ul class=\"flags\" aria-label=\"Flags\">{badges}</ul>"))}
            <h2>Citations</h2>
            {(answer.Citations.Count == 0 ? ConsoleLayout.Notice("No citations.", "info") : Html.Of($"""
                <ol class="citations">{Html.Each(answer.Citations, cite => Html.Of($"""
                    <li id="cite-{cite.Label}" value="{cite.Label}"><a class="citation" href="{PassageUrl(reference, cite.DocumentId, cite.ChunkId, cite.Start, cite.End)}">{cite.Source}{(cite.HeadingPath is { Count: > 0 } path ? " › " + string.Join(" › ", path) : "")}{(cite.Page is { } page ? $" · page {page}" : "")}</a>
                    <q>{cite.Quote}</q></li>
                    """))}</ol>
                """))}
            <details class="usage"><summary>Timings, tokens and cost</summary>
            <table><tbody>
            {Html.Each(answer.TimingsMs, t => Html.Of($"<tr><th scope=\"row\">{t.Key}</th><td>{t.Value:0.0} ms</td></tr>"))}
            <tr><th scope="row">tokens in / out</th><td>{answer.TokensIn} / {answer.TokensOut}</td></tr>
            <tr><th scope="row">cost</th><td>${answer.EstimatedCost:0.######}</td></tr>
            <tr><th scope="row">model</th><td>{answer.Model}</td></tr>
            <tr><th scope="row">served</th><td>{Served(answer.Served)}{(answer.Cached ? " · from cache" : "")}</td></tr>
            </tbody></table>
            </details>
            <form class="feedback" method="post" action="/console/feedback" hx-post="/console/feedback" hx-swap="outerHTML">
            {ConsoleLayout.TokenField(context)}
            <input type="hidden" name="answerId" value="{answer.Id}">
            <label for="comment-{answer.Id}">Was this helpful?</label>
            <input id="comment-{answer.Id}" name="comment" maxlength="4000" placeholder="Comment (optional)">
            <button type="submit" name="rating" value="up">Helpful</button>
            <button type="submit" name="rating" value="down">Not helpful</button>
            </form>
            </article>
            """);
    }

    public static string PassageUrl(string reference, string document, long chunk, int? start, int? end) =>
        $"/console/passage?c={Uri.EscapeDataString(reference)}&doc={Uri.EscapeDataString(document)}&chunk={chunk}"
        + (start is { } from && end is { } to ? $"&start={from}&end={to}#cited" : $"#chunk-{chunk}");

    private static string Served(ServedVersion? served) =>
        served is null ? "working state" : $"version {served.Version}{(served.Alias is { } alias ? $" ({alias})" : "")}";

    /// <summary>The answer's text with each [n] a link to citation n.</summary>
    private static Markup LinkMarkers(string text)
    {
        var parts = new List<Markup>();
        var at = 0;
        foreach (Match marker in Marker().Matches(text))
        {
            parts.Add(Html.Of($"{text[at..marker.Index]}"));
            parts.Add(Html.Of($"<a class=\"marker\" href=\"#cite-{marker.Groups[1].Value}\">[{marker.Groups[1].Value}]</a>"));
            at = marker.Index + marker.Length;
        }

        parts.Add(Html.Of($"{text[at..]}"));
        return Markup.Join(parts);
    }

    [GeneratedRegex(@"\[(\d{1,3})\]")]
    private static partial Regex Marker();
}
