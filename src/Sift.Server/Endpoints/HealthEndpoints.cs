using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sift.Server.Auth;

namespace Sift.Server.Endpoints;

/// <summary>
/// /healthz: the process answers. /readyz: the store is readable; without credentials that is all it says, so
/// readiness probes learn nothing about tenants. With a read key it also reports each collection that key may use
/// (it opens and its index loads) and whether the LLM is reachable (else answers degrade to extractive; reported, not a
/// failure). /readyz/{c} needs a key that may use the collection (else the same 404 as a missing one) and fails for a
/// broken collection alone.
/// </summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Ok(new { status = "alive" })).WithTags("health");

        app.MapGet("/readyz", async (HttpContext context, CollectionHost host, LlmProbe llm, CancellationToken cancellationToken) =>
        {
            if (!Directory.Exists(host.Store.Root))
            {
                return Results.Json(new { status = "unavailable" }, statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            if (Caller.Of(context) is not { } caller || !caller.Has(Scopes.Read))
            {
                return Results.Ok(new { status = "ready" });
            }

            var collections = host.Names.Where(caller.CanUse).ToDictionary(n => n, host.Check);
            return Results.Ok(new
            {
                status = "ready",
                collections,
                llm = await llm.StatusAsync(cancellationToken),
            });
        }).WithTags("health");

        app.MapGet("/readyz/{c}", (string c, HttpContext context, CollectionHost host) =>
        {
            if (Guard.Check(context, Scopes.Read, out var caller) is { } denied)
            {
                return denied;
            }

            if (!caller.CanUse(c) || !host.Exists(c))
            {
                return Http.Problems.NotFound($"collection '{c}'");
            }

            var status = host.Check(c);
            return status == "ready"
                ? Results.Ok(new { collection = c, status })
                : Results.Json(new { collection = c, status }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }).WithTags("health");
    }
}
