using Sift.Core;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Retrieval.Dense;
using Sift.Retrieval.Fusion;
using Sift.Retrieval.Lexical;
using Sift.Retrieval.Ranking;

namespace Sift.Retrieval;

/// <summary>How a query is ranked: the mode, hybrid fusion with its weight and candidate pool, HNSW breadth, reranker.</summary>
public sealed record RetrievalSettings(
    string Mode = RetrievalSettings.DefaultMode,
    string Fusion = RetrievalSettings.DefaultFusion,
    double DenseWeight = 0.5,
    int? EfSearch = null,
    bool Exact = false,
    Bm25Parameters? Bm25 = null,
    IReranker? Reranker = null,
    int RerankDepth = 50,
    int FusionDepth = RetrievalSettings.DefaultFusionDepth,
    string Expansion = RetrievalSettings.NoExpansion)
{
    /// <summary>
    /// BM25: with the built-in offline embedder, dense and hybrid retrieval measure worse on SciFact and NFCorpus
    /// (docs/benchmarks.md). Use hybrid with a transformer embedder.
    /// </summary>
    public const string DefaultMode = "bm25";
    public const string DefaultFusion = "rrf";

    /// <summary>Candidates each ranking gives hybrid fusion unless the collection was tuned (sift tune).</summary>
    public const int DefaultFusionDepth = 100;

    public const string NoExpansion = "none";
    public const string Rm3 = "rm3";

    public static IReadOnlyList<string> Modes { get; } = ["bm25", "dense", "hybrid"];

    /// <summary>Query expansions of the BM25 stage: none, or RM3 pseudo-relevance feedback.</summary>
    public static IReadOnlyList<string> Expansions { get; } = [NoExpansion, Rm3];

    /// <summary>The collection's configured defaults (sift collections configure), else Sift's.</summary>
    public static RetrievalSettings For(IChunkStore collection) => new(
        collection.Settings.Mode ?? DefaultMode, collection.Settings.Fusion ?? DefaultFusion, collection.Settings.DenseWeight ?? 0.5,
        FusionDepth: collection.Settings.FusionDepth ?? DefaultFusionDepth, Expansion: collection.Settings.Expansion ?? NoExpansion);

    public bool NeedsVectors => Mode is "dense" or "hybrid";
}

/// <summary>Builds the retriever for a collection and settings.</summary>
public static class RetrieverFactory
{
    public static Retriever Create(IChunkStore collection, ITextAnalyzer analyzer, RetrievalSettings settings)
    {
        if (!RetrievalSettings.Modes.Contains(settings.Mode))
        {
            throw new InvalidOptionException("mode", $"'{settings.Mode}' is unknown (use {string.Join(", ", RetrievalSettings.Modes)})");
        }

        if (settings.Fusion is not ("rrf" or "weighted"))
        {
            throw new InvalidOptionException("fusion", $"'{settings.Fusion}' is unknown (use rrf or weighted)");
        }

        if (!RetrievalSettings.Expansions.Contains(settings.Expansion))
        {
            throw new InvalidOptionException("expansion", $"'{settings.Expansion}' is unknown (use {string.Join(", ", RetrievalSettings.Expansions)})");
        }

        if (settings.RerankDepth < 1)
        {
            throw new InvalidOptionException("rerank depth", $"must be at least 1 (got {settings.RerankDepth})");
        }

        if (settings.DenseWeight is < 0 or > 1 || double.IsNaN(settings.DenseWeight))
        {
            throw new InvalidOptionException("dense weight", $"must be between 0 and 1 (got {settings.DenseWeight})");
        }

        var lexical = Lexical(collection, analyzer, settings);
        IChunkRanker Dense() => new DenseRanker(collection, settings.EfSearch, settings.Exact);
        IChunkRanker ranker = settings.Mode switch
        {
            "bm25" => lexical,
            "dense" => Dense(),
            _ => new HybridRanker(
                [lexical, Dense()],
                [1 - settings.DenseWeight, settings.DenseWeight],
                settings.Fusion == "weighted" ? new MinMaxScoreFusion() : new ReciprocalRankFusion(),
                settings.FusionDepth),
        };
        return new Retriever(collection, ranker, settings.Reranker, settings.RerankDepth, analyzer, settings.Bm25);
    }

    /// <summary>The BM25 stage of <paramref name="settings"/>: plain, or expanded with RM3.</summary>
    public static IChunkRanker Lexical(IChunkStore collection, ITextAnalyzer analyzer, RetrievalSettings settings) =>
        settings.Expansion == RetrievalSettings.Rm3 ? new Rm3Ranker(collection, analyzer, settings.Bm25) : new LexicalRanker(collection, analyzer, settings.Bm25);
}
