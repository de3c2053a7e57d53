using System.Diagnostics;
using Sift.Composition;
using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Generation;
using Sift.Generation.Llm;
using Sift.Generation.Steps;
using Sift.Generation.Logging;
using Sift.Index.Storage;
using Sift.Models.Static;
using Sift.Retrieval;
using Sift.Retrieval.Snippets;
using Sift.Server.Auth;
using Sift.Server.Caching;

namespace Sift.Server;

/// <summary>One ranked chunk in a search response.</summary>
public sealed record SearchHit(int Rank, double Score, long ChunkId, string DocumentId, string Title, string Source, IReadOnlyList<string> HeadingPath, int? Page, string Text, string Snippet);

/// <summary>
/// A search response; <see cref="Degraded"/> says why results may be worse than usual (e.g. reranker failure). Never
/// changed once built, so the cache holds the instance rather than a serialized copy in a pooled buffer.
/// </summary>
[System.ComponentModel.ImmutableObject(true)]
public sealed record SearchResponse(string Collection, string Version, IReadOnlyList<SearchHit> Results, string? Degraded);

/// <summary>
/// Search and ask for the endpoints: builds the retriever for the request, restricts it to what the caller may see,
/// goes through the caches (scoped by collection version, options and the caller's access), and logs each query.
/// The LLM client, its circuit breaker and the stateless stages are shared by all requests.
/// </summary>
public sealed class QueryService(ServerOptions options, ResponseCache? cache, QueryLog log, CircuitBreaker breaker)
{
    private readonly SiftAnswering _answering = new(CollectionHost.Analyzer, breaker);
    private readonly SnippetBuilder _snippets = new(CollectionHost.Analyzer);
    private readonly LlmAnswerer? _llm = options.Llm is { } endpoint ? new LlmAnswerer(endpoint.CreateChatClient(), options.Prompt, endpoint.Model) : null;

    public async Task<(SearchResponse Response, bool Cached, string LogId)> SearchAsync(
        IChunkStore collection, Caller caller, string query, int k, string? mode, MetadataFilter? filter, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var settings = Settings(collection, mode, caller);
        var restricted = Restrict(filter, caller);
        var generation = collection.Generation;
        async Task<SearchResponse> Run(CancellationToken cancel)
        {
            var retriever = RetrieverFactory.Create(collection, CollectionHost.Analyzer, settings);
            var results = await retriever.RetrieveAsync(new RetrievalQuery(query, k, restricted), cancel).ConfigureAwait(false);
            var snippet = _snippets.For(query);
            var version = collection.LexicalIndex(Bm25Parameters.Default).Visible(caller.Access).Version;
            return new SearchResponse(collection.Name, version, [.. results.Select(r => Hit(r, snippet(r.Chunk.Text)))], results.Degraded);
        }

        var (response, cached) = cache is null
            ? (await Run(cancellationToken).ConfigureAwait(false), false)
            : await cache.GetOrCreateAsync("search", Scope(collection.Name, generation, Options(settings.Mode, k, Describe(filter)), caller), query, Run, cancellationToken).ConfigureAwait(false);
        var id = log.RecordSearch(
            GuardrailDetectors.AsRecorded(collection.Settings.Guardrails, query), collection.Name, generation, response.Results.Select(r => r.DocumentId), Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            caller.Subject, options.RedactQueries, cached, response.Results.Count == 0 ? null : response.Results.Max(r => r.Score));
        return (response, cached, id);
    }

    /// <summary>
    /// Answers a question: from the exact cache, else the semantic cache, else the pipeline (streaming tokens to
    /// <paramref name="onToken"/>). Returns the record, whether it came from a cache, and its answer id. With
    /// <paramref name="steps"/>, a multi-step answer within those limits, never from or into a cache.
    /// </summary>
    public async Task<(AnswerRecord Record, bool Cached, string AnswerId)> AskAsync(
        IChunkStore collection, Caller caller, string question, int k, int budget, string? mode, MetadataFilter? filter,
        Action<string>? onToken, CancellationToken cancellationToken, StepLimits? steps = null)
    {
        var settings = Settings(collection, mode, caller);
        var guardrails = collection.Settings.Guardrails; // a change of policy changes the generation, so the cache scope
        var restricted = Restrict(filter, caller);
        var generation = collection.Generation;
        var scope = Scope(collection.Name, generation, Options(settings.Mode, k, budget, Describe(filter), options.MinScore, options.MinCoverage, _llm?.Model, _llm?.Prompt.Version), caller);
        var embedder = collection.Embedder ?? StaticWordEmbedder.Default;
        var similarHit = false;
        var answerOptions = new AnswerOptions(_llm, options.Llm, options.MinScore, options.MinCoverage, Guardrails: guardrails);
        if (steps is not null)
        {
            var stepped = WithoutServerPaths(await _answering.AskInStepsAsync(
                RetrieverFactory.Create(collection, CollectionHost.Analyzer, settings), answerOptions, question, k, budget, restricted, steps, onToken, cancellationToken).ConfigureAwait(false));
            return (stepped, false, log.RecordAnswer(stepped, collection.Name, generation, caller.Subject, options.RedactQueries));
        }

        async Task<AnswerRecord> Run(CancellationToken cancel)
        {
            if (cache is not null && await cache.FindSimilarAsync<AnswerRecord>(scope, question, embedder, cancel).ConfigureAwait(false) is { } similar)
            {
                similarHit = true;
                return similar;
            }

            var pipeline = _answering.Create(RetrieverFactory.Create(collection, CollectionHost.Analyzer, settings), answerOptions);
            var record = WithoutServerPaths(await pipeline.AskAsync(question, k, budget, restricted, onToken, cancel).ConfigureAwait(false));
            // Degraded answers are not cached: the next request should try the LLM again.
            if (cache is not null && !record.Flags.Degraded)
            {
                await cache.RememberAsync(scope, question, record, embedder, cancel).ConfigureAwait(false);
            }

            return record;
        }

        var (answer, cached) = cache is null
            ? (await Run(cancellationToken).ConfigureAwait(false), false)
            : await cache.GetOrCreateAsync("ask", scope, question, Run, cancellationToken).ConfigureAwait(false);
        cached |= similarHit;
        if (cached)
        {
            // A cached answer streams too, as one token, so clients keep one code path.
            onToken?.Invoke(answer.Answer);
        }

        // A cached answer may be another caller's wording of the question: record this one's (redacted as the policy says).
        var asked = answer with { Question = GuardrailDetectors.AsRecorded(guardrails, question) };
        var id = log.RecordAnswer(asked, collection.Name, generation, caller.Subject, options.RedactQueries, cached);
        return (asked, cached, id);
    }

    /// <summary>
    /// The collection's configured retrieval, with the request's mode when it names one, and its learned ranker (if
    /// trained) with IDF over what the caller may see.
    /// </summary>
    private static RetrievalSettings Settings(IChunkStore collection, string? mode, Caller caller)
    {
        // The mode first: the ranker applies only over the first stage it was trained on (BM25), never over a
        // request's dense or hybrid search.
        var defaults = RetrievalSettings.For(collection);
        return Composition.LearnedRankers.Apply(mode is null ? defaults : defaults with { Mode = mode }, collection, CollectionHost.Analyzer, caller.Access);
    }

    private static MetadataFilter Restrict(MetadataFilter? filter, Caller caller) =>
        filter?.Restrict(caller.Access) ?? MetadataFilter.For(caller.Access);

    private static CacheScope Scope(string collection, long generation, string settings, Caller caller) =>
        new(collection, generation, settings, caller.Access.Fingerprint);

    /// <summary>
    /// Request options as a JSON array: an unambiguous encoding (strings are quoted and escaped), so options that
    /// differ never produce the same cache key.
    /// </summary>
    public static string Options(params object?[] parts) => System.Text.Json.JsonSerializer.Serialize(parts);

    /// <summary>
    /// The filter in canonical form (keys and values sorted), so equal filters share cache entries and filters that mean
    /// different things (<c>"x,y"</c> and <c>["x","y"]</c>, or <c>{"a":"1;b=2"}</c> and <c>{"a":"1","b":"2"}</c>) never do.
    /// </summary>
    public static SortedDictionary<string, string[]> Describe(MetadataFilter? filter) =>
        new(filter?.Conditions.ToDictionary(c => c.Key, c => c.Value.Order(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal) ?? [], StringComparer.Ordinal);

    internal static SearchHit Hit(RetrievedChunk r, Snippet snippet) => new(
        r.Rank, r.Score, r.Chunk.Id, r.Chunk.DocumentId, r.Chunk.Title, SourceName(r.Chunk.Source), r.Chunk.HeadingPath, r.Chunk.Page, r.Chunk.Text, snippet.Text);

    /// <summary>
    /// A source as clients see it: the original file's name, never the server's path (an upload folder, or the path
    /// the CLI ingested from), which would tell callers how the server is laid out.
    /// </summary>
    internal static string SourceName(string source) => Path.GetFileName(source);

    private static AnswerRecord WithoutServerPaths(AnswerRecord record) =>
        record with { Citations = [.. record.Citations.Select(c => c with { Source = SourceName(c.Source) })] };
}
