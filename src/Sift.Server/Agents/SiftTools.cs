using System.ComponentModel;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Filtering;
using Sift.Server.Http;

namespace Sift.Server.Agents;

/// <summary>A ranked passage as an agent gets it: enough to cite it and to read it whole with get_passage.</summary>
public sealed record AgentHit(int Rank, double Score, string DocumentId, long ChunkId, string Title, IReadOnlyList<string> HeadingPath, int? Page, string Text);

/// <summary>A cited passage of an answer: its label in the answer text, where it is, and the quoted words.</summary>
public sealed record AgentCitation(int Label, string DocumentId, long ChunkId, int Start, int End, string Quote, IReadOnlyList<string>? HeadingPath, int? Page);

/// <summary>An answer with its citations and the flags that say how far to trust it.</summary>
public sealed record AgentAnswer(string Answer, IReadOnlyList<AgentCitation> Citations, Generation.AnswerFlags Flags, string Model, string? AnswerId);

/// <summary>A document's record and a page of its chunks (the passages citations point into).</summary>
public sealed record AgentDocument(string Id, string Title, string Source, IReadOnlyDictionary<string, string> Metadata, int ChunkCount, int FromChunk, IReadOnlyList<AgentChunk> Chunks);

public sealed record AgentChunk(long ChunkId, int Start, int End, IReadOnlyList<string> HeadingPath, int? Page, string Text);

public sealed record AgentPassage(string DocumentId, int Start, int End, string Text, IReadOnlyList<string> HeadingPath, int? Page);

/// <summary>
/// Sift's tools for agents over the Model Context Protocol: the same operations for MCP over HTTP (the caller's key)
/// and over stdio (the local user), through <see cref="IAgentGateway"/>. A refusal or bad input is a tool error whose
/// text says why; a collection or document the caller may not see reads as one that does not exist.
/// </summary>
[McpServerToolType]
public sealed class SiftTools(IAgentGateway sift)
{
    /// <summary>
    /// How results are written: nulls included, because each tool's output schema lists every property as required
    /// (a page number a document does not have is null, not absent).
    /// </summary>
    public static JsonSerializerOptions Json { get; } = new(McpJsonUtilities.DefaultOptions) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never };

    /// <summary>Chunks get_document returns at most per call (a page; ask again from the next chunk).</summary>
    public const int MaxChunksPerCall = 50;

    [McpServerTool(Name = "list_collections", Title = "List collections", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Lists the document collections you may search, with the number of documents and chunks you can see in each. Call it first to learn which collection names to pass to search and ask.")]
    public IReadOnlyList<AgentCollection> ListCollections() => Run(sift.Collections);

    [McpServerTool(Name = "search", Title = "Search a collection", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Finds the passages of a collection most relevant to a query, best first (BM25 keyword ranking by default, reranked by the collection's learned ranker when it has one). Returns each passage's document id, chunk id, title, section headings, page and text. Use specific keywords from the subject; cite document ids when you use a passage; read more with get_passage or get_document.")]
    public Task<IReadOnlyList<AgentHit>> Search(
        [Description("The collection's name, as list_collections gives it (or NAME@ALIAS, NAME@7 for a named version: over HTTP that needs an admin key).")] string collection,
        [Description("What to look for: keywords or a question in natural language.")] string query,
        [Description("How many passages to return, 1 to 100. Default 10.")] int k = 10,
        [Description("Retrieval mode: \"bm25\" (keywords), \"dense\" (meaning, needs a collection with vectors) or \"hybrid\" (both fused). Default: the collection's own.")] string? mode = null,
        [Description("Only passages of documents whose metadata matches: {\"key\": \"value\"} or {\"key\": [\"either\", \"or\"]}; every key must match.")] Dictionary<string, JsonElement>? filters = null,
        CancellationToken cancellationToken = default) =>
        RunAsync(async () =>
        {
            var result = await sift.SearchAsync(collection, new SearchRequest(query, k, mode, filters), cancellationToken);
            return (IReadOnlyList<AgentHit>)[.. result.Results.Select(h => new AgentHit(h.Rank, h.Score, h.DocumentId, h.ChunkId, h.Title, h.HeadingPath, h.Page, h.Text))];
        });

    [McpServerTool(Name = "ask", Title = "Answer from a collection", ReadOnly = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Answers a question from a collection's documents only, with numbered citations [n] that point at the passages used, and flags: abstained (the documents do not answer it: say so rather than guess), degraded, uncited or unsupported sentences, passages withheld by the guardrails. Prefer it for a direct question; use search to explore.")]
    public Task<AgentAnswer> Ask(
        [Description("The collection's name, as list_collections gives it (or NAME@ALIAS: over HTTP that needs an admin key).")] string collection,
        [Description("The question, self-contained (name the subject rather than 'it').")] string question,
        [Description("How many passages to retrieve for the answer, 1 to 100. Default 10.")] int k = 10,
        [Description("Retrieval mode: \"bm25\", \"dense\" or \"hybrid\". Default: the collection's own.")] string? mode = null,
        [Description("Only documents whose metadata matches: {\"key\": \"value\"}.")] Dictionary<string, JsonElement>? filters = null,
        [Description("For a question needing several pieces of evidence: let Sift's model search again with refined queries, at most this many times (1 to 10), before answering. Default: one search.")] int? maxSteps = null,
        CancellationToken cancellationToken = default) =>
        RunAsync(async () =>
        {
            var answer = await sift.AskAsync(collection, new AskRequest(question, k, null, mode, filters, maxSteps), cancellationToken);
            return new AgentAnswer(
                answer.Answer,
                [.. answer.Citations.Select(c => new AgentCitation(c.Label, c.DocumentId, c.ChunkId, c.Start, c.End, c.Quote, c.HeadingPath, c.Page))],
                answer.Flags,
                answer.Model,
                answer.Id.Length == 0 ? null : answer.Id);
        });

    [McpServerTool(Name = "get_document", Title = "Read a document", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Reads a document of a collection by its id (as search and ask return it): its title, source, metadata and its chunks in order with their character spans, 50 chunks per call (pass fromChunk to read on).")]
    public AgentDocument GetDocument(
        [Description("The collection's name (or NAME@ALIAS).")] string collection,
        [Description("The document's id, e.g. \"docs/install.md\".")] string documentId,
        [Description("The first chunk to return, from 0. Default 0.")] int fromChunk = 0) =>
        Run(() =>
        {
            if (fromChunk < 0)
            {
                throw new SiftException($"fromChunk must be 0 or more (got {fromChunk})");
            }

            var (document, chunks) = sift.Document(collection, documentId);
            var shown = chunks.Skip(fromChunk).Take(MaxChunksPerCall);
            return new AgentDocument(
                document.Id, document.Title, document.Source,
                document.Metadata.Where(m => m.Key != AccessScope.MetadataKey).ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal), // who else may read it is not the reader's business
                chunks.Count, fromChunk,
                [.. shown.Select(c => new AgentChunk(c.Id, c.Start, c.End, c.HeadingPath, c.Page, c.Text))]);
        });

    [McpServerTool(Name = "get_passage", Title = "Read a passage", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Reads the exact text of a span of a document's extracted text, by character offsets, as ask's citations give them (start, end): to quote a source or check what it says.")]
    public AgentPassage GetPassage(
        [Description("The collection's name (or NAME@ALIAS).")] string collection,
        [Description("The document's id.")] string documentId,
        [Description("Offset of the span's first character.")] int start,
        [Description("Offset one past the span's last character.")] int end) =>
        Run(() =>
        {
            var (_, chunks) = sift.Document(collection, documentId);
            var (text, chunk) = DocumentSpans.TextOf(chunks, start, end)
                ?? throw new SiftException($"span {start}-{end} is not inside one chunk of '{documentId}' (its chunks cover {string.Join(", ", chunks.Take(20).Select(c => $"{c.Start}-{c.End}"))})");
            return new AgentPassage(documentId, start, end, text, chunk.HeadingPath, chunk.Page);
        });

    /// <summary>Sift's errors as tool errors the client sees (the SDK hides other exceptions' messages).</summary>
    private static T Run<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (SiftException ex)
        {
            throw new McpException(ex.Message, ex);
        }
    }

    private static async Task<T> RunAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (SiftException ex)
        {
            throw new McpException(ex.Message, ex);
        }
    }
}

/// <summary>Documents as MCP resources: <c>sift://documents/{collection}/{documentId}</c>, the title and the chunks' text.</summary>
[McpServerResourceType]
public sealed class SiftResources(IAgentGateway sift)
{
    [McpServerResource(UriTemplate = "sift://documents/{collection}/{+documentId}", Name = "document", Title = "A document's text", MimeType = "text/plain")]
    [Description("A document of a collection to read: its title, then its chunks in order, separated by blank lines (for citation offsets use get_passage).")]
    public string Document(string collection, string documentId)
    {
        try
        {
            var (document, chunks) = sift.Document(collection, documentId);
            return $"{document.Title}\n\n{string.Join("\n\n", chunks.Select(c => c.Text))}";
        }
        catch (SiftException ex)
        {
            throw new McpException(ex.Message, ex);
        }
    }
}
