using System.CommandLine;
using Sift.Core;
using Sift.Core.Stages;
using Sift.Index.Lexical;
using Sift.Index.Storage;
using Sift.Models.Onnx;
using Sift.Retrieval;
using Sift.Retrieval.Dense;
using Sift.Retrieval.Fusion;
using Sift.Retrieval.Lexical;
using Sift.Retrieval.Ranking;

namespace Sift.Cli.Commands;

/// <summary>The options that choose how a query is ranked, shared by search, eval and bench.</summary>
internal sealed class RetrievalOptions
{
    /// <summary>
    /// BM25: with the built-in offline embedder, dense and hybrid retrieval measure worse on SciFact and NFCorpus
    /// (docs/benchmarks.md). Pass --mode hybrid with a transformer embedder.
    /// </summary>
    public const string DefaultMode = "bm25";
    public const string DefaultFusion = "rrf";

    private readonly Option<string?> _mode = new("--mode") { Description = $"bm25 | dense | hybrid (default {DefaultMode})" };
    private readonly Option<string?> _fusion = new("--fusion") { Description = "Hybrid fusion: rrf (reciprocal rank, k=60) | weighted (min-max normalised scores); default: the collection's setting, else rrf" };
    private readonly Option<double?> _denseWeight = new("--dense-weight") { Description = "Weight of the dense ranking in hybrid fusion, 0..1 (BM25 gets the rest); default: the collection's setting, else 0.5" };
    private readonly Option<int?> _efSearch = new("--ef-search") { Description = "HNSW candidate list size per query (larger: better recall, slower)" };
    private readonly Option<bool> _exact = new("--exact") { Description = "Scan every vector instead of the HNSW graph" };
    private readonly Option<string?> _rerank = new("--rerank") { Description = "Rerank the top results with a cross-encoder: an ONNX model folder (ms-marco-MiniLM style)" };
    private readonly Option<int> _rerankDepth = new("--rerank-depth") { Description = "How many first-stage results the reranker reorders", DefaultValueFactory = _ => 50 };

    public RetrievalOptions()
    {
        _mode.AcceptOnlyFromAmong("bm25", "dense", "hybrid");
        _fusion.AcceptOnlyFromAmong("rrf", "weighted");
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_mode);
        command.Options.Add(_fusion);
        command.Options.Add(_denseWeight);
        command.Options.Add(_efSearch);
        command.Options.Add(_exact);
        command.Options.Add(_rerank);
        command.Options.Add(_rerankDepth);
    }

    /// <summary>The mode asked for, else the collection's setting, else the default.</summary>
    public string Mode(ParseResult result, Collection collection) => result.GetValue(_mode) ?? collection.Settings.Mode ?? DefaultMode;

    public bool NeedsVectors(ParseResult result, Collection collection) => Mode(result, collection) is "dense" or "hybrid";

    public Retriever Build(ParseResult result, Collection collection, Bm25Parameters? bm25 = null)
    {
        var settings = collection.Settings;
        return Create(
            collection,
            result.GetValue(_mode) ?? settings.Mode ?? DefaultMode,
            result.GetValue(_fusion) ?? settings.Fusion ?? DefaultFusion,
            result.GetValue(_denseWeight) ?? settings.DenseWeight ?? 0.5,
            result.GetValue(_efSearch),
            result.GetValue(_exact),
            bm25,
            result.GetValue(_rerank) is { } folder ? new OnnxCrossEncoder(OnnxModelFolder.Open(folder)) : null,
            result.GetValue(_rerankDepth));
    }

    /// <summary>A retriever for one of the modes: "bm25", "dense", or "hybrid" with the given fusion.</summary>
    public static Retriever Create(
        Collection collection, string mode, string fusion = DefaultFusion, double denseWeight = 0.5, int? efSearch = null,
        bool exact = false, Bm25Parameters? bm25 = null, IReranker? reranker = null, int rerankDepth = 50)
    {
        if (rerankDepth < 1)
        {
            throw new SiftException($"--rerank-depth must be at least 1 (got {rerankDepth})");
        }

        if (denseWeight is < 0 or > 1 || double.IsNaN(denseWeight))
        {
            throw new SiftException($"--dense-weight must be between 0 and 1 (got {denseWeight})");
        }

        var lexical = new LexicalRanker(collection, CommonOptions.Analyzer, bm25);
        IChunkRanker Dense() => new DenseRanker(collection, efSearch, exact);
        IChunkRanker ranker = mode switch
        {
            "bm25" => lexical,
            "dense" => Dense(),
            _ => new HybridRanker(
                [lexical, Dense()],
                [1 - denseWeight, denseWeight],
                fusion == "weighted" ? new MinMaxScoreFusion() : new ReciprocalRankFusion()),
        };
        return new Retriever(collection, ranker, reranker, rerankDepth);
    }
}
