using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sift.Server.Auth;
using Sift.Server.Endpoints;
using Sift.Server.Http;

namespace Sift.Server.WebConsole.Pages;

/// <summary>
/// One question against two collections, two versions of one, or two retrieval settings, side by side; a passage
/// that only one side retrieved is marked on that side.
/// </summary>
internal static class ComparePage
{
    public static void Map(RouteGroupBuilder console)
    {
        console.MapGet("/compare", async (HttpContext context, CollectionHost host, string? q, string? a, string? b, string? va, string? vb, string? ma, string? mb, string? k) =>
        {
            if (ConsoleEndpoints.SignedIn(context, out var caller) is { } refused)
            {
                return refused;
            }

            var collections = host.Names.Where(caller.CanUse).ToList();
            var depth = ConsoleEndpoints.Number(k);
            a ??= collections.FirstOrDefault();
            b ??= collections.Skip(1).FirstOrDefault() ?? a;
            var sides = Markup.Empty;
            if (!string.IsNullOrWhiteSpace(q) && a is not null && b is not null)
            {
                var left = PlaygroundPage.Reference(a, va);
                var right = PlaygroundPage.Reference(b, vb);
                var (leftProblem, leftResult) = await QueryEndpoints.SearchAsync(left, new SearchRequest(q, depth, PlaygroundPage.EmptyAsNull(ma), null), context);
                var (rightProblem, rightResult) = await QueryEndpoints.SearchAsync(right, new SearchRequest(q, depth, PlaygroundPage.EmptyAsNull(mb), null), context);
                var leftChunks = leftResult?.Results.Select(PlaygroundPage.PassageKey).ToHashSet(StringComparer.Ordinal) ?? [];
                var rightChunks = rightResult?.Results.Select(PlaygroundPage.PassageKey).ToHashSet(StringComparer.Ordinal) ?? [];
                Markup Side(string reference, string? mode, IResult? problem, SearchResult? result, IReadOnlySet<string> other) => Html.Of($"""
                    <section class="side" aria-label="{reference}">
                    <h2>{reference} <small>{(string.IsNullOrEmpty(mode) ? "collection default" : mode)}</small></h2>
                    {(problem is not null ? ConsoleLayout.Notice(ConsoleEndpoints.Describe(problem)) : PlaygroundPage.Hits(reference, result!, other))}
                    </section>
                    """);
                var shared = leftChunks.Intersect(rightChunks).Count();
                sides = Html.Of($"""
                    <p class="meta">{shared} passage(s) in both; {leftChunks.Count - shared} only on the left, {rightChunks.Count - shared} only on the right.</p>
                    <div class="sides">{Side(left, ma, leftProblem, leftResult, rightChunks)}{Side(right, mb, rightProblem, rightResult, leftChunks)}</div>
                    """);
            }

            if (collections.Count == 0)
            {
                return ConsoleLayout.Page(context, "Compare", ConsoleLayout.Notice("No collections to compare yet.", "info"));
            }

            var admin = caller.Has(Scopes.Admin);
            Markup Column(string label, string name, string? collection, string versionName, string? version, string modeName, string? mode) => Html.Of($"""
                <fieldset><legend>{label}</legend>
                <label>Collection {PlaygroundPage.CollectionSelect($"{name}-collection", name, collections, collection)}</label>
                {Html.If(admin, () => Html.Of($"""<label>Version or alias <input name="{versionName}" value="{version}" placeholder="prod" size="8"></label>"""))}
                <label>Retrieval {PlaygroundPage.ModeSelect($"{name}-mode", modeName, mode)}</label>
                </fieldset>
                """);
            return ConsoleLayout.Page(context, "Compare", Html.Of($"""
                <form method="get" action="/console/compare" class="card">
                <label for="compare-q">Question</label>
                <input id="compare-q" name="q" value="{q}" required>
                <div class="row">{Column("Left", "a", a, "va", va, "ma", ma)}{Column("Right", "b", b, "vb", vb, "mb", mb)}</div>
                <label>Passages <input name="k" type="number" min="1" max="100" value="{depth ?? 10}" size="4"></label>
                <button type="submit" class="primary">Compare</button>
                </form>
                {sides}
                """));
        });
    }
}
