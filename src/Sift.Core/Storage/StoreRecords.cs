using Sift.Core.Stages;

namespace Sift.Core.Storage;

/// <summary>
/// Okapi BM25 constants. The defaults are Anserini's (k1 = 0.9, b = 0.4), which give the published Pyserini BEIR
/// baselines; Elasticsearch uses k1 = 1.2, b = 0.75.
/// </summary>
public sealed record Bm25Parameters(float K1 = 0.9f, float B = 0.4f)
{
    public static Bm25Parameters Default { get; } = new();

    /// <summary>Validated construction for values a user typed.</summary>
    public static Bm25Parameters Create(float k1, float b) =>
        k1 < 0 || float.IsNaN(k1) ? throw new InvalidOptionException("BM25 k1", $"must be zero or more (got {k1})")
        : b is < 0 or > 1 || float.IsNaN(b) ? throw new InvalidOptionException("BM25 b", $"must be between 0 and 1 (got {b})")
        : new Bm25Parameters(k1, b);
}

/// <summary>
/// A collection's own retrieval defaults (used when a command does not say otherwise) and its vector index settings.
/// </summary>
/// <param name="IngestAlias">The alias an ingest moves to the version it makes when it names none (null: prod).</param>
/// <param name="Ranker">A learned ranker trained for this collection (<c>sift train ranker</c>), as the JSON document its
/// trainer wrote; searches rerank with it unless told not to. Null: none.</param>
/// <param name="Injection">What a prompt-injection flag does here: off | flag | block (null: block).</param>
/// <param name="Pii">What found personal data does here: off | flag | redact (null: flag).</param>
public sealed record CollectionSettings(
    string? Mode = null,
    string? Fusion = null,
    double? DenseWeight = null,
    int M = 16,
    int EfConstruction = 200,
    int EfSearch = 100,
    bool Quantize = false,
    string? IngestAlias = null,
    string? Ranker = null,
    int? FusionDepth = null,
    string? Expansion = null,
    string? Injection = null,
    string? Pii = null)
{
    /// <summary>The guardrail policy these settings name.</summary>
    public GuardrailPolicy Guardrails => GuardrailPolicy.Parse(Injection, Pii);
}

/// <summary>A document as the collection holds it.</summary>
/// <param name="Source">The file it was read from, as the ingest saw it.</param>
public sealed record DocumentRecord(
    string Id, string Source, string Title, string ContentHash, IReadOnlyDictionary<string, string> Metadata, int ChunkCount, string IngestedAt);

/// <param name="Location">The collection's folder, or its store's address and name.</param>
/// <param name="SizeBytes">Bytes on disk (files, or the collection's share of the database's tables and indexes).</param>
public sealed record CollectionInfo(
    string Name,
    string Location,
    long Documents,
    long Chunks,
    long Generation,
    string Chunker,
    string Analyzer,
    string EmbedderSpec,
    string Embedder,
    string CreatedAt,
    string UpdatedAt,
    long SizeBytes);
