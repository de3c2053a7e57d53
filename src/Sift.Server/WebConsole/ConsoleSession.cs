using System.Collections.Concurrent;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;

namespace Sift.Server.WebConsole;

/// <summary>
/// A console sign-in: the API key (or identity provider token) typed once into the sign-in form, kept encrypted and
/// authenticated (ASP.NET Core data protection) in an HttpOnly, SameSite=Strict cookie, and checked again on every
/// request like a key in a header, so revoking the key ends the session. The key is never in a URL, never readable
/// by script, and never stored in the browser in the clear. Requests that a cookie authenticates must carry the
/// anti-forgery token when they change anything (<see cref="RequiresToken"/>). Signing out ends the session on the
/// server too: a copy of the cookie taken before is refused (by this server process; the list of ended sessions is kept
/// in memory until they would have expired anyway).
/// </summary>
public sealed class ConsoleSession(IDataProtectionProvider protection, IAntiforgery antiforgery)
{
    public const string CookieName = "sift_console";

    /// <summary>How long a sign-in lasts (the key itself may be revoked sooner).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    private const string CookieAuthenticated = "sift.console.cookie";

    /// <summary>Ended sessions remembered before the oldest are swept (each is kept until it would have expired).</summary>
    private const int SweepAbove = 1_000;

    private readonly ITimeLimitedDataProtector _protector = protection.CreateProtector("Sift.Console.Session").ToTimeLimitedDataProtector();

    /// <summary>Sessions signed out before they expired, with when they would have.</summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> _ended = new(StringComparer.Ordinal);

    /// <summary>Starts a session for <paramref name="secret"/>, ending the one the browser had.</summary>
    public void SignIn(HttpContext context, string secret)
    {
        End(context);
        context.Response.Cookies.Append(CookieName, _protector.Protect($"{Guid.NewGuid():N}\n{secret}", Lifetime), Options(context, DateTimeOffset.UtcNow + Lifetime));
    }

    /// <summary>Ends the session: its cookie is deleted and refused from now on, should a copy of it come back.</summary>
    public void SignOut(HttpContext context)
    {
        End(context);
        Forget(context);
    }

    /// <summary>Deletes the browser's cookie (a session whose key no longer authenticates).</summary>
    public void Forget(HttpContext context) => context.Response.Cookies.Delete(CookieName, Options(context, null));

    private void End(HttpContext context)
    {
        if (Read(context) is not { } session)
        {
            return;
        }

        _ended[session.Id] = session.Expires;
        if (_ended.Count > SweepAbove)
        {
            var now = DateTimeOffset.UtcNow;
            foreach (var expired in _ended.Where(e => e.Value < now))
            {
                _ended.TryRemove(expired);
            }
        }
    }

    /// <summary>The secret of the request's sign-in cookie; null without one (or with one expired, signed out or tampered with).</summary>
    public string? Secret(HttpContext context)
    {
        if (Read(context) is not { } session || _ended.ContainsKey(session.Id))
        {
            return null;
        }

        context.Items[CookieAuthenticated] = true;
        return session.Secret;
    }

    private (string Id, string Secret, DateTimeOffset Expires)? Read(HttpContext context)
    {
        if (!context.Request.Cookies.TryGetValue(CookieName, out var cookie) || string.IsNullOrEmpty(cookie))
        {
            return null;
        }

        try
        {
            var payload = _protector.Unprotect(cookie, out var expires);
            var split = payload.IndexOf('\n', StringComparison.Ordinal);
            return split <= 0 ? null : (payload[..split], payload[(split + 1)..], expires);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    /// <summary>
    /// True for a request that changes something and is either a console form or authenticated by the cookie: it
    /// must prove it came from a console page (a cross-site form cannot read the token).
    /// </summary>
    public static bool RequiresToken(HttpContext context) =>
        !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !HttpMethods.IsOptions(context.Request.Method)
        && (context.Items.ContainsKey(CookieAuthenticated) || context.Request.Path.StartsWithSegments("/console"));

    public Task<bool> HasValidTokenAsync(HttpContext context) => antiforgery.IsRequestValidAsync(context);

    /// <summary>The token a page puts in its forms and in the header htmx and console.js send.</summary>
    public string Token(HttpContext context) => antiforgery.GetAndStoreTokens(context).RequestToken!;

    private static CookieOptions Options(HttpContext context, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        Secure = context.Request.IsHttps,
        SameSite = SameSiteMode.Strict,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };
}
