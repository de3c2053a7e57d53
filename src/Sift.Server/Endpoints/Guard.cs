using Microsoft.AspNetCore.Http;
using Sift.Core.Storage;
using Sift.Index.Storage;
using Sift.Server.Auth;
using Sift.Server.Http;
using Sift.Server.Rollout;

namespace Sift.Server.Endpoints;

/// <summary>
/// The authorization decision every endpoint makes first: no or bad key 401; a key without the scope 403; a
/// collection the key may not use answers exactly like one that does not exist (404), so keys learn nothing about
/// other tenants' collections.
/// </summary>
internal static class Guard
{
    public static IResult? Check(HttpContext context, string scope, out Caller caller)
    {
        caller = Caller.Of(context)!;
        if (Caller.Of(context) is null)
        {
            return Problems.Unauthorized();
        }

        return caller.Has(scope) ? null : Problems.Forbidden(scope);
    }

    public static IResult? Check(HttpContext context, string scope, string name, CollectionHost host, out Caller caller, out IChunkStore collection)
    {
        collection = null!;
        if (Check(context, scope, out caller) is { } denied)
        {
            return denied;
        }

        if (!caller.CanUse(name) || host.Find(name) is not { } found)
        {
            return Problems.NotFound($"collection '{name}'");
        }

        collection = found;
        return null;
    }

    /// <summary>
    /// The check for a read: <paramref name="reference"/> is "name", "name@alias" or "name@7". With no version named, a
    /// running canary picks the caller's arm (sticky per caller); otherwise the version <c>prod</c> names is read.
    /// </summary>
    public static IResult? CheckRead(HttpContext context, string reference, CollectionHost host, Canaries canaries, out Caller caller, out Served served)
    {
        served = null!;
        var (name, version) = VersionAliases.Split(reference);
        if (Check(context, Scopes.Read, name, host, out caller, out var collection) is { } denied)
        {
            return denied;
        }

        // Any version but the one served by default may hold documents since deleted or restricted: naming one is an
        // administrator's read.
        if (version is not null && !caller.Has(Scopes.Admin))
        {
            return Problems.Forbidden(Scopes.Admin);
        }

        var (read, alias, canary, candidate) = version is null
            ? canaries.Route(name, caller.IsAnonymous ? Anonymous(context) : caller.Subject)
            : (version, VersionAliases.NamesANumber(version) ? null : version, null, false);
        try
        {
            var (target, record) = host.Read(collection, read);
            served = new Served(target, record is null ? null : new ServedVersion(record.Id, alias ?? (read is null ? VersionAliases.Production : null)), canary, candidate);
        }
        catch (Core.SiftException) when (version is not null)
        {
            return Problems.NotFound($"version '{version}' of collection '{name}'");
        }

        // (An MCP tool call runs inside a response already streaming: its result names the version instead.)
        if (served.Version is { } answered && !context.Response.HasStarted)
        {
            context.Response.Headers["Sift-Version"] = answered.Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (answered.Alias is { } named)
            {
                context.Response.Headers["Sift-Alias"] = named;
            }
        }

        return null;
    }

    /// <summary>An anonymous caller (a server without keys) is told apart by address and client, for sticky routing only.</summary>
    private static string Anonymous(HttpContext context) =>
        $"{context.Connection.RemoteIpAddress}|{context.Request.Headers.UserAgent}";
}

/// <summary>What a read is answered from: the collection version, and the canary that routed it (if one did).</summary>
internal sealed record Served(IChunkStore Target, ServedVersion? Version, Rollout.Canary? Canary, bool Candidate);
