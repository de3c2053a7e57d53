using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sift.Server.Auth;
using Sift.Server.Http;

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
        app.MapGet("/healthz", () => Results.Ok(new Liveness("alive"))).WithName("GetHealth").WithTags("health").Produces<Liveness>();

        app.MapGet("/readyz", async (HttpContext context, CollectionHost host, LlmProbe llm, CancellationToken cancellationToken) =>
        {
            if (!host.IsAvailable)
            {
                return Results.Json(new Readiness("unavailable"), statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            if (Caller.Of(context) is not { } caller || !caller.Has(Scopes.Read))
            {
                return Results.Ok(new Readiness("ready"));
            }

            var collections = host.Names.Where(caller.CanUse).ToDictionary(n => n, host.Check);
            return Results.Ok(new Readiness("ready", collections, await llm.StatusAsync(cancellationToken)));
        }).WithName("GetReadiness").WithTags("health")
            .Produces<Readiness>().Produces<Readiness>(StatusCodes.Status503ServiceUnavailable);

        app.MapGet("/readyz/{c}", (string c, HttpContext context, CollectionHost host) =>
        {
            if (Guard.Check(context, Scopes.Read, out var caller) is { } denied)
            {
                return denied;
            }

            if (!caller.CanUse(c) || !host.Exists(c))
            {
                return Problems.NotFound($"collection '{c}'");
            }

            var status = host.Check(c);
            return status == "ready"
                ? Results.Ok(new CollectionReadiness(c, status))
                : Results.Json(new CollectionReadiness(c, status), statusCode: StatusCodes.Status503ServiceUnavailable);
        }).WithName("GetCollectionReadiness").WithTags("health")
            .Produces<CollectionReadiness>().Produces<CollectionReadiness>(StatusCodes.Status503ServiceUnavailable).ProducesProblems(404);
    }
}
