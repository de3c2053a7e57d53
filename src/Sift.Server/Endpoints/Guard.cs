using Microsoft.AspNetCore.Http;
using Sift.Core.Storage;
using Sift.Index.Storage;
using Sift.Server.Auth;
using Sift.Server.Http;

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
}
