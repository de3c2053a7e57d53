using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sift.Core.Storage;
using Sift.Server.Auth;
using Sift.Server.Endpoints;

namespace Sift.Server.WebConsole.Pages;

/// <summary>
/// The caller's collections with counts and settings; a collection's documents (those its access allows), upload by
/// drag and drop with progress per file and the ingestion job's status, and delete. Uploads and deletes go to the
/// API (/v1/collections/{c}/documents) from console.js, as the signed-in caller.
/// </summary>
internal static class CollectionsPage
{
    private const int ShownDocuments = 200;

    public static void Map(RouteGroupBuilder console)
    {
        console.MapGet("/collections", (HttpContext context, CollectionHost host) =>
        {
            if (ConsoleEndpoints.SignedIn(context, out var caller) is { } refused)
            {
                return refused;
            }

            var rows = Html.Each(host.Names.Where(caller.CanUse), name =>
            {
                try
                {
                    var details = CollectionEndpoints.Describe(name, caller, host);
                    return Html.Of($"""
                        <tr><th scope="row"><a href="/console/collections/{Uri.EscapeDataString(name)}">{name}</a></th>
                        <td class="num">{details.Documents}</td><td class="num">{details.Chunks}</td><td>{details.Mode}</td><td>{details.Embedder}</td><td>{details.Chunker}</td></tr>
                        """);
                }
                catch (Core.SiftException ex)
                {
                    return Html.Of($"<tr><th scope=\"row\">{name}</th><td colspan=\"5\">cannot be read: {ex.Message}</td></tr>");
                }
            });
            var create = caller.Has(Scopes.Ingest)
                ? Html.Of($"""
                    <form method="get" action="/console/collections/new" class="row card">
                    <label>New collection <input name="name" pattern="[A-Za-z0-9][A-Za-z0-9._\-]{"{0,63}"}" required placeholder="handbook"></label>
                    <button type="submit">Open</button>
                    <span class="hint">It is created by its first upload.</span>
                    </form>
                    """)
                : Markup.Empty;
            return ConsoleLayout.Page(context, "Collections", Html.Of($"""
                {create}
                <div class="scroll"><table>
                <thead><tr><th scope="col">Collection</th><th scope="col" class="num">Documents</th><th scope="col" class="num">Chunks</th><th scope="col">Retrieval</th><th scope="col">Embedder</th><th scope="col">Chunker</th></tr></thead>
                <tbody>{rows}</tbody>
                </table></div>
                """));
        });

        console.MapGet("/collections/new", (HttpContext context, string? name) =>
            Results.Redirect(string.IsNullOrWhiteSpace(name) ? "/console/collections" : $"/console/collections/{Uri.EscapeDataString(name.Trim())}"));

        console.MapGet("/collections/{c}", (string c, HttpContext context, CollectionHost host) =>
        {
            if (ConsoleEndpoints.SignedIn(context, out var caller) is { } refused)
            {
                return refused;
            }

            if (!CollectionHost.IsValidName(c) || !caller.CanUse(c) || (!host.Exists(c) && !caller.Has(Scopes.Ingest)))
            {
                return ConsoleLayout.Page(context, "Collection", ConsoleLayout.Notice($"Collection '{c}' was not found."));
            }

            var summary = host.Exists(c) ? Summary(CollectionEndpoints.Describe(c, caller, host)) : ConsoleLayout.Notice("This collection does not exist yet: upload files to create it.", "info");
            var upload = caller.Has(Scopes.Ingest) ? Html.Of($"""
                <section class="card" aria-labelledby="upload-title">
                <h2 id="upload-title">Upload</h2>
                <form id="upload" data-collection="{c}" class="drop" method="post" enctype="multipart/form-data">
                <label for="files">Drop files here, or choose them</label>
                <input id="files" name="files" type="file" multiple>
                <p class="hint">Text, Markdown, HTML, PDF, Word, CSV, JSONL, source code, or a .zip of them.</p>
                </form>
                <noscript><p class="hint">Uploading needs JavaScript here; without it use <code>sift ingest</code> or POST /v1/collections/{c}/documents.</p></noscript>
                <ul id="uploads" class="uploads" aria-live="polite"></ul>
                </section>
                """) : Markup.Empty;
            return ConsoleLayout.Page(context, c, Html.Of($"""
                {summary}
                {upload}
                <section aria-labelledby="documents-title">
                <h2 id="documents-title">Documents</h2>
                <form class="row" method="get" hx-get="/console/collections/{Uri.EscapeDataString(c)}/documents" hx-target="#documents" hx-trigger="input changed delay:300ms from:#find, submit">
                <label>Find <input id="find" name="find" type="search" placeholder="id or title"></label>
                </form>
                <div id="documents">{Documents(context, host, caller, c, null)}</div>
                </section>
                """));
        });

        console.MapGet("/collections/{c}/documents", (string c, string? find, HttpContext context, CollectionHost host) =>
        {
            if (ConsoleEndpoints.SignedIn(context, out var caller) is { } refused)
            {
                return refused;
            }

            return ConsoleLayout.Fragment(context, caller.CanUse(c) ? Documents(context, host, caller, c, find) : ConsoleLayout.Notice($"Collection '{c}' was not found."));
        });
    }

    private static Markup Summary(Http.CollectionDetails details) => Html.Of($"""
        <dl class="summary">
        <div><dt>Documents</dt><dd>{details.Documents}</dd></div>
        <div><dt>Chunks</dt><dd>{details.Chunks}</dd></div>
        <div><dt>Retrieval</dt><dd>{details.Mode}</dd></div>
        <div><dt>Embedder</dt><dd>{details.Embedder}</dd></div>
        <div><dt>Chunker</dt><dd>{details.Chunker}</dd></div>
        <div><dt>Analyzer</dt><dd>{details.Analyzer}</dd></div>
        </dl>
        """);

    /// <summary>The documents of the working state the caller's access allows, matching <paramref name="find"/>.</summary>
    private static Markup Documents(HttpContext context, CollectionHost host, Caller caller, string c, string? find)
    {
        if (host.Find(c) is not { } collection)
        {
            return ConsoleLayout.Notice("No documents yet.", "info");
        }

        var visible = collection.Documents().Where(d => caller.Access.Allows(d.Metadata)
            && (string.IsNullOrWhiteSpace(find) || d.Id.Contains(find, StringComparison.OrdinalIgnoreCase) || d.Title.Contains(find, StringComparison.OrdinalIgnoreCase))).ToList();
        if (visible.Count == 0)
        {
            return ConsoleLayout.Notice(string.IsNullOrWhiteSpace(find) ? "No documents yet." : "No document matches.", "info");
        }

        var canDelete = caller.Has(Scopes.Ingest);
        return Html.Of($"""
            <p class="meta">{visible.Count} document(s){(visible.Count > ShownDocuments ? $"; the first {ShownDocuments} shown" : "")}</p>
            <div class="scroll"><table class="documents">
            <thead><tr><th scope="col">Document</th><th scope="col">Title</th><th scope="col" class="num">Chunks</th><th scope="col">Ingested</th>{Html.If(canDelete, () => Html.Of($"<th scope=\"col\"><span class=\"visually-hidden\">Actions</span></th>"))}</tr></thead>
            <tbody>{Html.Each(visible.Take(ShownDocuments), d => Html.Of($"""
                <tr><td><a href="/console/passage?c={Uri.EscapeDataString(c)}&amp;doc={Uri.EscapeDataString(d.Id)}">{d.Id}</a></td><td>{d.Title}{Html.If(d.Metadata.ContainsKey(Guardrails.IngestScreen.InjectionKey), () => Html.Of($" <span class=\"flag warn\" title=\"{d.Metadata[Guardrails.IngestScreen.InjectionKey]}\">possible prompt injection</span>"))}</td><td class="num">{d.ChunkCount}</td><td>{d.IngestedAt}</td>
                {Html.If(canDelete, () => Html.Of($"<td><button type=\"button\" class=\"danger\" data-delete=\"/v1/collections/{Uri.EscapeDataString(c)}/documents/{Uri.EscapeDataString(d.Id)}\" data-confirm=\"Delete {d.Id}?\">Delete</button></td>"))}</tr>
                """))}</tbody>
            </table></div>
            """);
    }
}
