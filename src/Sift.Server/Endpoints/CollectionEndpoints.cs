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

            return Results.Ok(Describe(c, caller, host));
        }).WithName("GetCollection").WithTags("collections").Produces<CollectionDetails>().ProducesProblems(404);
    }

    /// <summary>
    /// The collection as the caller sees it, for the API and the console: counts of the documents their access allows
    /// in the version searches answer from (prod, or the working state of a collection without versions).
    /// </summary>
    internal static CollectionDetails Describe(string c, Caller caller, CollectionHost host)
    {
        var collection = host.Read(c, null)?.Target ?? throw new Core.SiftException($"collection '{c}' is gone");
        var info = collection.Info();
        var visible = collection.LexicalIndex(Bm25Parameters.Default).Visible(caller.Access);
        return new CollectionDetails(
            info.Name, visible.Documents, visible.Chunks, visible.Version, info.Chunker, info.Analyzer, info.Embedder,
            collection.Settings.Mode ?? Retrieval.RetrievalSettings.DefaultMode);
    }
}
