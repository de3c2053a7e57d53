using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sift.Server.Auth;
using Sift.Server.WebConsole.Pages;

namespace Sift.Server.WebConsole;

/// <summary>
/// The console at /console: server-rendered pages (readable without JavaScript), htmx for partial updates, and
/// console.js for what needs a script (the streamed answer, uploads with progress, charts). Every page reads
/// through the same checks as the API, as the signed-in caller.
/// </summary>
internal static class ConsoleEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Results.Redirect("/console/")).ExcludeFromDescription();
        app.MapGet("/console/assets/{**name}", (string name, HttpContext context, ConsoleAssets assets) => assets.Serve(name, context)).ExcludeFromDescription();

        // Anti-forgery tokens are checked for every request that changes something, in Authentication.
        var console = app.MapGroup("/console").ExcludeFromDescription();
        SignInPage.Map(console);
        PlaygroundPage.Map(console);
        ComparePage.Map(console);
        CollectionsPage.Map(console);
        EvaluationsPage.Map(console);
        MonitoringPage.Map(console);
        AdminPage.Map(console);
    }

    /// <summary>
    /// The signed-in caller with <paramref name="scope"/>; otherwise the answer instead of the page: to sign in (a
    /// full page, or htmx told to load it), or a page saying which scope the key lacks.
    /// </summary>
    public static IResult? SignedIn(HttpContext context, out Caller caller, string scope = Scopes.Read)
    {
        if (Caller.Of(context) is not { } signedIn)
        {
            caller = null!; // never read: the answer here is to sign in
            var next = context.Request.Path + context.Request.QueryString;
            var target = $"/console/signin?next={Uri.EscapeDataString(next)}";
            if (context.Request.Headers.ContainsKey("HX-Request"))
            {
                context.Response.Headers["HX-Redirect"] = target;
                return Results.StatusCode(StatusCodes.Status401Unauthorized);
            }

            return Results.Redirect(target);
        }

        caller = signedIn;
        return caller.Has(scope)
            ? null
            : ConsoleLayout.Page(context, "Not allowed", ConsoleLayout.Notice($"This page needs the '{scope}' scope, which the key you signed in with does not have."));
    }

    /// <summary>A console form's fields; none when the body is not a form (each page then says which field is missing).</summary>
    public static async Task<IFormCollection> ReadFormAsync(HttpContext context) =>
        context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : FormCollection.Empty;

    /// <summary>A whole number from a query string ("k=abc" is no number: the default applies, not an error page of JSON).</summary>
    public static int? Number(string? text) =>
        int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>What a refused API call says (its problem's detail), for a page to show.</summary>
    public static string Describe(IResult problem) => problem switch
    {
        IValueHttpResult { Value: Microsoft.AspNetCore.Mvc.ProblemDetails details } => details.Extensions.TryGetValue("errors", out var errors) && errors is IDictionary<string, string[]> fields
            ? string.Join("; ", fields.Select(f => $"{f.Key} {string.Join(", ", f.Value)}"))
            : details.Detail ?? details.Title ?? "refused",
        IStatusCodeHttpResult { StatusCode: var status } => $"refused ({status})",
        _ => "refused",
    };
}
