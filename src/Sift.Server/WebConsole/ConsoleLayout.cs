using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Sift.Server.Auth;

namespace Sift.Server.WebConsole;

/// <summary>
/// The frame of every console page: the head (stylesheet, htmx, console.js, all from /console/assets; no inline
/// script or style, which the Content-Security-Policy forbids), the navigation, and the anti-forgery token htmx and
/// console.js send with every request that changes something.
/// </summary>
public static class ConsoleLayout
{
    /// <summary>Scripts only from this server; no inline script or style; nothing framed; forms post only here.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>htmx without eval or script tags, and without the indicator style it would inject inline (the policy forbids it).</summary>
    private static readonly Markup HtmxConfig = new("<meta name=\"htmx-config\" content='{\"includeIndicatorStyles\":false,\"allowEval\":false,\"allowScriptTags\":false,\"selfRequestsOnly\":true}'>");

    private static readonly (string Path, string Label, string? Scope)[] Sections =
    [
        ("/console/", "Playground", null),
        ("/console/compare", "Compare", null),
        ("/console/collections", "Collections", null),
        ("/console/evaluations", "Evaluations", null),
        ("/console/monitoring", "Monitoring", null),
        ("/console/admin", "Admin", Scopes.Admin),
    ];

    /// <summary>A whole page; with <c>HX-Request</c> (an htmx swap of the main region) only <paramref name="main"/>.</summary>
    public static IResult Page(HttpContext context, string title, Markup main, Markup? scripts = null)
    {
        Secure(context);
        if (context.Request.Headers.ContainsKey("HX-Request") && !context.Request.Headers.ContainsKey("HX-Boosted"))
        {
            return Results.Content(main.Value, "text/html; charset=utf-8");
        }

        var assets = context.RequestServices.GetRequiredService<ConsoleAssets>();
        var session = context.RequestServices.GetRequiredService<ConsoleSession>();
        var caller = Caller.Of(context);
        var token = session.Token(context);
        var path = context.Request.Path.Value ?? "/console/";
        var nav = Html.Each(Sections.Where(s => caller is not null && (s.Scope is null || caller.Has(s.Scope))), s =>
        {
            var current = s.Path == "/console/" ? path is "/console" or "/console/" : path.StartsWith(s.Path, StringComparison.Ordinal);
            return current
                ? Html.Of($"<a href=\"{s.Path}\" aria-current=\"page\">{s.Label}</a>")
                : Html.Of($"<a href=\"{s.Path}\">{s.Label}</a>");
        });
        var who = caller is null ? Markup.Empty : Html.Of($"""
            <span class="who" title="signed in as">{(caller.IsAnonymous ? "no authentication (loopback)" : caller.Id)}</span>
            {Html.If(!caller.IsAnonymous, () => Html.Of($"<form method=\"post\" action=\"/console/signout\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{token}\"><button type=\"submit\">Sign out</button></form>"))}
            """);
        var headers = $"{{\"X-CSRF-Token\":\"{token}\"}}";
        var html = Html.Of($"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            {HtmxConfig}
            <meta name="csrf-token" content="{token}">
            <title>{title} · Sift console</title>
            <link rel="stylesheet" href="{assets.Url("console.css")}">
            <script src="{assets.Url("vendor/htmx-2.0.11.min.js")}" defer></script>
            {scripts ?? Markup.Empty}
            <script src="{assets.Url("console.js")}" defer></script>
            </head>
            <body hx-headers="{headers}">
            <a class="skip" href="#main">Skip to content</a>
            <header class="bar">
            <a class="brand" href="/console/">Sift</a>
            <nav aria-label="Sections">{nav}</nav>
            <div class="account">{who}<button type="button" id="theme" class="js-only" aria-label="Switch between dark and light theme">Theme</button></div>
            </header>
            <main id="main" tabindex="-1">
            <h1>{title}</h1>
            {main}
            </main>
            </body>
            </html>
            """);
        return Results.Content(html.Value, "text/html; charset=utf-8");
    }

    /// <summary>A fragment for htmx to swap in.</summary>
    public static IResult Fragment(HttpContext context, Markup html)
    {
        Secure(context);
        return Results.Content(html.Value, "text/html; charset=utf-8");
    }

    /// <summary>A message in a page: what went wrong, in words.</summary>
    public static Markup Notice(string text, string kind = "error") => Html.Of($"<p class=\"notice {kind}\" role=\"status\">{text}</p>");

    /// <summary>The hidden anti-forgery field of a form.</summary>
    public static Markup TokenField(HttpContext context) =>
        Html.Of($"<input type=\"hidden\" name=\"csrf\" value=\"{context.RequestServices.GetRequiredService<ConsoleSession>().Token(context)}\">");

    private static void Secure(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        // What anti-forgery requires of a page carrying its token (it would otherwise override it and warn).
        headers.CacheControl = "no-cache, no-store";
        headers.Pragma = "no-cache";
    }
}
