using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Storage;
using Sift.Server.Auth;
using Sift.Server.Endpoints;
using Sift.Server.Http;
using DocumentRecord = Sift.Core.Storage.DocumentRecord;
using Sift.Server.Rollout;
using Sift.Server.WebConsole;

namespace Sift.Server.Agents;

/// <summary>The gateway for MCP over HTTP: each call is the request's caller going through the API's own checks.</summary>
internal sealed class HttpAgentGateway(IHttpContextAccessor accessor) : IAgentGateway
{
    private HttpContext Context => accessor.HttpContext ?? throw new SiftException("no HTTP request is in progress");

    public IReadOnlyList<AgentCollection> Collections()
    {
        var context = Context;
        if (Guard.Check(context, Scopes.Read, out var caller) is { } denied)
        {
            throw Refused(denied);
        }

        var host = context.RequestServices.GetRequiredService<CollectionHost>();
        return [.. host.Names.Where(caller.CanUse).Select(name => host.Find(name)).OfType<IChunkStore>().Select(c => Visible(c, caller))];
    }

    public async Task<SearchResult> SearchAsync(string collection, SearchRequest request, CancellationToken cancellationToken) =>
        await QueryEndpoints.SearchAsync(collection, request, Context) is var (problem, result) && problem is null ? result! : throw Refused(problem!);

    public Task<AnswerResult> AskAsync(string collection, AskRequest request, CancellationToken cancellationToken) =>
        QueryEndpoints.Asker(collection, request, Context) is var (problem, ask) && problem is null ? ask!(null) : throw Refused(problem!);

    public (DocumentRecord Document, IReadOnlyList<StoredChunk> Chunks) Document(string collection, string documentId)
    {
        var context = Context;
        var services = context.RequestServices;
        if (Guard.CheckRead(context, collection, services.GetRequiredService<CollectionHost>(), services.GetRequiredService<Canaries>(), out var caller, out var served) is { } denied)
        {
            throw Refused(denied);
        }

        // A document the caller may not see is answered exactly like one that does not exist.
        return served.Target.Document(documentId) is { } found && caller.Access.Allows(found.Document.Metadata)
            ? (found.Document with { Source = QueryService.SourceName(found.Document.Source) }, found.Chunks) // never the server's paths
            : throw new SiftException($"collection '{collection}' has no document '{documentId}'");
    }

    private static AgentCollection Visible(IChunkStore collection, Caller caller)
    {
        var documents = collection.Documents().Where(d => caller.Access.Allows(d.Metadata)).ToList();
        return new AgentCollection(collection.Name, documents.Count, documents.Sum(d => (long)d.ChunkCount));
    }

    private static SiftException Refused(IResult problem) => new(ConsoleEndpoints.Describe(problem));
}
