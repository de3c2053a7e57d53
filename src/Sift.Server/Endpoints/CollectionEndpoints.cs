using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sift.Server.Auth;

namespace Sift.Server.Endpoints;

/// <summary>GET /v1/collections and GET /v1/collections/{c}: only the collections the key may use.</summary>
internal static class CollectionEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/collections", (HttpContext context, CollectionHost host) =>
        {
            if (Guard.Check(context, Scopes.Read, out var caller) is { } denied)
            {
                return denied;
            }

            return Results.Ok(new { collections = host.Names.Where(caller.CanUse).Select(n => new { name = n }) });
        }).WithName("ListCollections").WithTags("collections");

        app.MapGet("/v1/collections/{c}", (string c, HttpContext context, CollectionHost host) =>
        {
            if (Guard.Check(context, Scopes.Read, c, host, out _, out var collection) is { } denied)
            {
                return denied;
            }

            var info = collection.Info();
            return Results.Ok(new
            {
                name = info.Name,
                documents = info.Documents,
                chunks = info.Chunks,
                generation = info.Generation,
                chunker = info.Chunker,
                analyzer = info.Analyzer,
                embedder = info.Embedder,
                mode = collection.Settings.Mode ?? Retrieval.RetrievalSettings.DefaultMode,
            });
        }).WithName("GetCollection").WithTags("collections");
    }
}
