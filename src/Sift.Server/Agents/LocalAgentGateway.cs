using Sift.Composition;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Generation;
using Sift.Generation.Steps;
using Sift.Retrieval;
using Sift.Retrieval.Snippets;
using Sift.Server.Http;
using DocumentRecord = Sift.Core.Storage.DocumentRecord;

namespace Sift.Server.Agents;

/// <summary>
/// The gateway for MCP over stdio: the store's local user, as the CLI is, who may read every collection and document
/// the store holds. Retrieval and answers are built the way the CLI and server build them (the collection's settings,
/// its learned ranker, the shared answering composition with the collection's guardrails).
/// </summary>
public sealed class LocalAgentGateway(IStore store, AnswerOptions answers) : IAgentGateway
{
    private readonly SiftAnswering _answering = new(CollectionHost.Analyzer);
    private readonly SnippetBuilder _snippets = new(CollectionHost.Analyzer);

    public IReadOnlyList<AgentCollection> Collections() =>
        [.. store.List().Select(name =>
        {
            using var collection = store.Open(name);
            var info = collection.Info();
            return new AgentCollection(name, info.Documents, info.Chunks);
        })];

    public async Task<SearchResult> SearchAsync(string collection, SearchRequest request, CancellationToken cancellationToken)
    {
        using var reading = Read(collection);
        var query = Require(request.Query, "query", request.K, request.Mode);
        var retriever = Retriever(reading.Target, request.Mode);
        var results = await retriever.RetrieveAsync(new RetrievalQuery(query, request.K ?? SiftAnswering.DefaultTopK, Filters(request.Filters)), cancellationToken);
        var snippet = _snippets.For(query);
        var hits = results.Select(r => QueryService.Hit(r, snippet(r.Chunk.Text))).ToList();
        // Not logged: a local session's searches are the user's own (as the CLI's are).
        return new SearchResult("", false, reading.Target.Name, reading.Target.Generation.ToString(System.Globalization.CultureInfo.InvariantCulture), results.Degraded, hits);
    }

    public async Task<AnswerResult> AskAsync(string collection, AskRequest request, CancellationToken cancellationToken)
    {
        using var reading = Read(collection);
        var question = Require(request.Question, "question", request.K, request.Mode);
        var options = answers with { Guardrails = reading.Target.Settings.Guardrails };
        var (retriever, k, budget, filter) = (Retriever(reading.Target, request.Mode), request.K ?? SiftAnswering.DefaultTopK, request.Budget ?? SiftAnswering.DefaultBudgetTokens, Filters(request.Filters));
        var record = request.MaxSteps is { } steps
            ? await _answering.AskInStepsAsync(retriever, options, question, k, budget, filter, StepLimits.Create(steps), null, cancellationToken)
            : await _answering.Create(retriever, options).AskAsync(question, k, budget, filter, cancellationToken: cancellationToken);
        return new AnswerResult(record, cached: false, id: "");
    }

    public (DocumentRecord Document, IReadOnlyList<StoredChunk> Chunks) Document(string collection, string documentId)
    {
        using var reading = Read(collection);
        var (document, chunks) = reading.Target.Document(documentId) ?? throw new SiftException($"collection '{collection}' has no document '{documentId}'");
        return (document with { Source = QueryService.SourceName(document.Source) }, chunks); // a file name, as over HTTP
    }

    /// <summary>A collection ("name", "name@alias", "name@7") as its version reads, and its store handle to close after.</summary>
    private Reading Read(string reference)
    {
        var (name, version) = VersionAliases.Split(reference);
        var collection = store.Open(name);
        try
        {
            var (target, _) = CollectionVersions.Resolve(collection, version);
            SiftStores.BindEmbedder(target, requested: null);
            return new Reading(collection, target);
        }
        catch
        {
            collection.Dispose();
            throw;
        }
    }

    private static Retriever Retriever(IChunkStore collection, string? mode)
    {
        var defaults = RetrievalSettings.For(collection);
        return RetrieverFactory.Create(
            collection, CollectionHost.Analyzer, LearnedRankers.Apply(mode is null ? defaults : defaults with { Mode = mode }, collection, CollectionHost.Analyzer, access: null));
    }

    private static Core.Filtering.MetadataFilter? Filters(Dictionary<string, System.Text.Json.JsonElement>? filters)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var filter = Validation.Filter(filters, errors);
        return errors.Count == 0 ? filter : throw new SiftException(string.Join("; ", errors.Select(e => $"{e.Key} {string.Join(", ", e.Value)}")));
    }

    /// <summary>The text, checked with k and mode as the server checks them (the same limits, the same messages).</summary>
    private static string Require(string? value, string name, int? k, string? mode)
    {
        var errors = Validation.Check(value, name, k, mode, Limits);
        return errors.Count == 0 ? value! : throw new SiftException(string.Join("; ", errors.Select(e => $"{e.Key} {string.Join(", ", e.Value)}")));
    }

    private static readonly ServerLimits Limits = new();

    /// <summary>A version's view lives as long as its collection: closing the collection closes both (as the CLI's readers do).</summary>
    private sealed record Reading(IChunkStore Collection, IChunkStore Target) : IDisposable
    {
        public void Dispose() => Collection.Dispose();
    }
}
