using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Sift.Server.Http;
using Sift.Server.WebConsole;

namespace Sift.Server.Auth;

/// <summary>
/// Who a request comes from: an API key (possibly delegating for a user) or a user's verified OIDC token, sent in a
/// header by API clients or held in the console's sign-in cookie. Both go through the same checks, the same
/// throttle on failures, and the same scopes.
/// </summary>
internal static class Authentication
{
    /// <summary>
    /// Attaches the caller. A request without valid credentials gets no caller, so endpoints answer 401 (and console
    /// pages send the browser to sign in); the problem returned here ends the request. A request the console cookie
    /// authenticates, or a console form, that changes something must carry the anti-forgery token.
    /// </summary>
    public static async Task<IResult?> AuthenticateAsync(HttpContext context, ServerOptions options, ApiKeyStore keys)
    {
        if (context.Request.Path.StartsWithSegments("/console/assets"))
        {
            return null; // public static files: no credentials read, nothing counted against a key's rate
        }

        var session = context.RequestServices.GetRequiredService<ConsoleSession>();
        IResult? refused = null;
        if (!options.RequireKeys)
        {
            if (Unguarded(context) is { } problem)
            {
                return problem;
            }

            Caller.Anonymous.AttachTo(context);
        }
        else if (HeaderSecret(context.Request) is { } secret)
        {
            refused = await IdentifyAsync(context, secret, options, keys);
        }
        else if (session.Secret(context) is { } signedIn)
        {
            // A sealed cookie cannot be used to guess keys, so a refusal (a key since revoked, a user's token expired,
            // the identity provider down) is not a failure to count: the session ends and the visitor signs in again.
            if (await IdentifyAsync(context, signedIn, options, keys, countFailures: false) is not null || Caller.Of(context) is null)
            {
                Caller.Detach(context);
                session.Forget(context);
            }
        }

        if (refused is null && ConsoleSession.RequiresToken(context) && !await session.HasValidTokenAsync(context))
        {
            return Problems.Create(StatusCodes.Status403Forbidden, "csrf", "Missing or invalid anti-forgery token",
                "a request from the console must carry the token of the page it came from; reload the page and try again");
        }

        return refused;
    }

    /// <summary>
    /// A server without keys answers anyone who reaches it, so it must not be reachable through a browser from other
    /// sites: it answers only requests addressed to a loopback name (a page on another site that rebinds its DNS name to
    /// 127.0.0.1 still sends its own name as Host), refuses what another site's page loads in the background (an
    /// image or a script pointing at a console page that asks the LLM), and refuses a change a browser sent from
    /// another origin (a form or a fetch needing no preflight).
    /// </summary>
    private static IResult? Unguarded(HttpContext context)
    {
        var host = context.Request.Host.Host.ToLowerInvariant();
        if (host is not ("localhost" or "127.0.0.1" or "[::1]" or "::1"))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "bad_host", "Not a loopback address",
                $"a server without authentication answers only requests to localhost, 127.0.0.1 or [::1], not '{host}'");
        }

        if (context.Request.Headers["Sec-Fetch-Site"] == "cross-site" && context.Request.Headers["Sec-Fetch-Mode"] != "navigate")
        {
            return Problems.Create(StatusCodes.Status403Forbidden, "csrf", "Cross-site request refused",
                "a server without authentication answers other sites' pages only when a person follows a link");
        }

        var method = context.Request.Method;
        var origin = context.Request.Headers.Origin.ToString();
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsOptions(method) && origin.Length > 0
            && (!Uri.TryCreate(origin, UriKind.Absolute, out var from) || !string.Equals(from.Authority, context.Request.Host.Value, StringComparison.OrdinalIgnoreCase)))
        {
            return Problems.Create(StatusCodes.Status403Forbidden, "csrf", "Cross-site request refused",
                $"a server without authentication takes changes only from its own pages, not from '{origin}'");
        }

        return null;
    }

    /// <summary>Attaches the caller <paramref name="secret"/> (a key or a token) identifies; the problem when it is refused or throttled.</summary>
    /// <param name="countFailures">False for a secret sealed in the sign-in cookie: no guess, so no throttle.</param>
    public static async Task<IResult?> IdentifyAsync(HttpContext context, string secret, ServerOptions options, ApiKeyStore keys, bool countFailures = true)
    {
        var throttle = countFailures ? context.RequestServices.GetRequiredService<FailedAuthThrottle>() : null;
        var address = context.Connection.RemoteIpAddress;
        if (throttle?.RetryAfter(address) is { } wait)
        {
            return TooManyFailures(context, wait);
        }

        if (options.Oidc is not null && TokenVerifier.LooksLikeToken(secret))
        {
            var (user, problem) = await context.RequestServices.GetRequiredService<TokenVerifier>().VerifyAsync(secret, context.RequestAborted);
            if (user is null && problem is IStatusCodeHttpResult { StatusCode: StatusCodes.Status401Unauthorized } && throttle?.Failed(address) is { } backoff)
            {
                return TooManyFailures(context, backoff);
            }

            user?.AttachTo(context);
            return problem;
        }

        if (keys.Verify(secret) is not { } key)
        {
            return throttle?.Failed(address) is { } backoff ? TooManyFailures(context, backoff) : null;
        }

        var caller = Caller.For(key);
        if (context.Request.Headers.TryGetValue(Caller.PrincipalsHeader, out var principals))
        {
            if (!key.Has(Scopes.Delegate))
            {
                return Problems.Forbidden(Scopes.Delegate);
            }

            caller = caller.ActingFor([.. principals.SelectMany(p => (p ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))]);
        }

        caller.AttachTo(context);
        return null;
    }

    private static IResult TooManyFailures(HttpContext context, TimeSpan wait)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problems.Create(StatusCodes.Status429TooManyRequests, "rate_limited", "Too many failed authentications", $"this address sent too many invalid credentials; retry in {seconds} s");
    }

    /// <summary>The key or token from "Authorization: Bearer KEY" or "X-Api-Key: KEY".</summary>
    private static string? HeaderSecret(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        return request.Headers.TryGetValue("X-Api-Key", out var header) ? header.ToString().Trim() : null;
    }
}
