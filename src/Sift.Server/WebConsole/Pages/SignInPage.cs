using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sift.Server.Auth;

namespace Sift.Server.WebConsole.Pages;

/// <summary>Sign in with an API key (or an identity provider's token when the server verifies them), sign out.</summary>
internal static class SignInPage
{
    public static void Map(RouteGroupBuilder console)
    {
        console.MapGet("/signin", (HttpContext context, string? next) => Render(context, next, null));

        console.MapPost("/signin", async (HttpContext context, ServerOptions options, ApiKeyStore keys, ConsoleSession session) =>
        {
            var form = await ConsoleEndpoints.ReadFormAsync(context);
            var next = form["next"].ToString();
            var secret = form["key"].ToString().Trim();
            if (secret.Length == 0)
            {
                return Render(context, next, "Enter an API key.");
            }

            Caller.Detach(context); // whoever the cookie said, only the key typed here signs in
            if (await Authentication.IdentifyAsync(context, secret, options, keys) is { } refused)
            {
                return Render(context, next, ConsoleEndpoints.Describe(refused));
            }

            if (Caller.Of(context) is null)
            {
                return Render(context, next, "That key is not valid (unknown, mistyped or revoked).");
            }

            session.SignIn(context, secret);
            return Results.Redirect(IsLocal(next) ? next : "/console/", preserveMethod: false);
        });

        console.MapPost("/signout", (HttpContext context, ConsoleSession session) =>
        {
            session.SignOut(context);
            return Results.Redirect("/console/signin");
        });
    }

    private static IResult Render(HttpContext context, string? next, string? error) => ConsoleLayout.Page(context, "Sign in", Html.Of($"""
        {Html.If(error is not null, () => ConsoleLayout.Notice(error!))}
        <form method="post" action="/console/signin" class="card narrow">
        {ConsoleLayout.TokenField(context)}
        <input type="hidden" name="next" value="{(IsLocal(next) ? next : "/console/")}">
        <label for="key">API key</label>
        <input id="key" name="key" type="password" autocomplete="current-password" required autofocus placeholder="sift_...">
        <p class="hint">The key is sent once, in this form's body, and kept encrypted in a cookie scripts cannot read; it is never put in a URL. Create one with <code>sift keys create</code>.</p>
        <button type="submit" class="primary">Sign in</button>
        </form>
        """));

    /// <summary>
    /// Only a path on this server ("/console/..."), never another site (an open redirect), in printable ASCII (what a
    /// Location header may carry; the console's own links are URL-encoded).
    /// </summary>
    private static bool IsLocal(string? next) =>
        next is { Length: > 1 and <= 2048 } && next[0] == '/' && next[1] != '/' && next[1] != '\\' && next.StartsWith("/console", StringComparison.Ordinal)
        && next.All(ch => ch is > ' ' and < (char)127);
}
