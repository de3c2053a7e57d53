using System.Text.Json.Serialization;
using Sift.Generation;

namespace Sift.Server.Http;

/// <summary>POST /v1/collections/{c}/search: the ranked chunks, and the log id feedback can refer to.</summary>
/// <param name="Version">The version of what the caller may see in the collection (see <see cref="CollectionDetails"/>).</param>
/// <param name="Served">Which collection version answered (and through which alias), for collections that keep versions.</param>
public sealed record SearchResult(string Id, bool Cached, string Collection, string Version, string? Degraded, IReadOnlyList<SearchHit> Results, ServedVersion? Served = null);

/// <summary>The collection version a read was answered from, and the alias that named it (null: a version asked for by number).</summary>
public sealed record ServedVersion(long Version, string? Alias);

/// <summary>POST /v1/collections/{c}/ask (and the "answer" event of its stream): the checked answer, its record, and the log id feedback refers to.</summary>
public sealed record AnswerResult : AnswerRecord
{
    public AnswerResult(AnswerRecord record, bool cached, string id, ServedVersion? served = null)
        : base(record)
    {
        Id = id;
        Cached = cached;
        Served = served;
    }

    public string Id { get; }

    public bool Cached { get; }

    /// <summary>Which collection version answered, for collections that keep versions.</summary>
    public ServedVersion? Served { get; }
}

/// <summary>GET /v1/collections: the collections the caller may use.</summary>
public sealed record CollectionList(IReadOnlyList<CollectionName> Collections);

public sealed record CollectionName(string Name);

/// <summary>GET /v1/collections/{c}.</summary>
/// <param name="Documents">Documents the caller may see.</param>
/// <param name="Chunks">Chunks of those documents.</param>
/// <param name="Version">
/// A digest of the documents the caller may see (ids and content): it changes when they change, and never because
/// of a write to documents hidden from the caller.
/// </param>
public sealed record CollectionDetails(string Name, long Documents, long Chunks, string Version, string Chunker, string Analyzer, string Embedder, string Mode);

/// <summary>GET /healthz: the process answers.</summary>
public sealed record Liveness(string Status);

/// <summary>GET /readyz: "ready", or "unavailable" (503) when the store cannot be read.</summary>
/// <param name="Collections">With a read key: each collection the key may use, "ready" or "broken: REASON".</param>
/// <param name="Llm">With a read key: whether the LLM is reachable (else answers are extractive).</param>
public sealed record Readiness(
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Collections = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Llm = null);

/// <summary>GET /readyz/{c}: "ready", or "broken: REASON" (503).</summary>
public sealed record CollectionReadiness(string Collection, string Status);
