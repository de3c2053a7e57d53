using Sift.Core.Documents;
using Sift.Core.Storage;
using Sift.Server.Http;
using DocumentRecord = Sift.Core.Storage.DocumentRecord;

namespace Sift.Server.Agents;

/// <summary>A collection an agent may use, with its size as the caller sees it.</summary>
public sealed record AgentCollection(string Name, long Documents, long Chunks);

/// <summary>
/// What agent front ends (MCP over HTTP and over stdio) may do, for one caller: over HTTP the request's key or token
/// (the API's scopes, collections and access lists, through the same checks as the API); over stdio the store's local
/// user, who may read everything the store holds. A refusal or bad input is a <see cref="Core.SiftException"/> saying why.
/// </summary>
public interface IAgentGateway
{
    IReadOnlyList<AgentCollection> Collections();

    Task<SearchResult> SearchAsync(string collection, SearchRequest request, CancellationToken cancellationToken);

    Task<AnswerResult> AskAsync(string collection, AskRequest request, CancellationToken cancellationToken);

    /// <summary>A document the caller may see, with its chunks; a <see cref="Core.SiftException"/> when there is none it may see.</summary>
    (DocumentRecord Document, IReadOnlyList<StoredChunk> Chunks) Document(string collection, string documentId);
}
