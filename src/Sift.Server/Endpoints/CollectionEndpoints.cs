using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sift.Core.Storage;
using Sift.Server.Auth;
using Sift.Server.Http;

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

            return Results.Ok(new CollectionList([.. host.Names.Where(caller.CanUse).Select(n => new CollectionName(n))]));
        }).WithName("ListCollections").WithTags("collections").Produces<CollectionList>().ProducesProblems();

        app.MapGet("/v1/collections/{c}", (string c, HttpContext context, CollectionHost host) =>
        {
            if (Guard.Check(context, Scopes.Read, c, host, out var caller, out _) is { } denied)
            {
                return denied;
            }

            // What searches answer from: the version prod names (or the working state of a collection without versions).
            var collection = host.Read(c, null)?.Target ?? throw new Core.SiftException($"collection '{c}' is gone");
            var info = collection.Info();
            var visible = collection.LexicalIndex(Bm25Parameters.Default).Visible(caller.Access);
            return Results.Ok(new CollectionDetails(
                info.Name, visible.Documents, visible.Chunks, visible.Version, info.Chunker, info.Analyzer, info.Embedder,
                collection.Settings.Mode ?? Retrieval.RetrievalSettings.DefaultMode));
        }).WithName("GetCollection").WithTags("collections").Produces<CollectionDetails>().ProducesProblems(404);
    }
}
