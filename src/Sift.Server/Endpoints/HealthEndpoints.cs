using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Sift.Server.Endpoints;

/// <summary>
/// /healthz: the process answers. /readyz: the store is readable, each collection opens and its index loads, and the
/// LLM is reachable (else answers degrade to extractive; that is reported, not a failure). A broken collection fails
/// /readyz/{c} for that collection only; /readyz fails only when the store itself is unusable.
/// </summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Ok(new { status = "alive" })).WithTags("health");

        app.MapGet("/readyz", async (CollectionHost host, LlmProbe llm, CancellationToken cancellationToken) =>
        {
            if (!Directory.Exists(host.Store.Root))
            {
                return Results.Json(new { status = "unavailable", store = $"store folder {host.Store.Root} is missing" }, statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            var collections = host.Names.ToDictionary(n => n, host.Check);
            return Results.Ok(new
            {
                status = "ready",
                collections,
                llm = await llm.StatusAsync(cancellationToken),
            });
        }).WithTags("health");

        app.MapGet("/readyz/{c}", (string c, CollectionHost host) =>
        {
            var status = host.Check(c);
            return status == "ready"
                ? Results.Ok(new { collection = c, status })
                : Results.Json(new { collection = c, status }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }).WithTags("health");
    }
}
