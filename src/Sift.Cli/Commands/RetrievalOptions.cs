using System.CommandLine;
using Sift.Composition;
using Sift.Core;
using Sift.Core.Stages;
using Sift.Core.Storage;
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
    private readonly Option<string?> _mode = new("--mode") { Description = $"bm25 | dense | hybrid (default {RetrievalSettings.DefaultMode})" };
    private readonly Option<string?> _fusion = new("--fusion") { Description = "Hybrid fusion: rrf (reciprocal rank, k=60) | weighted (min-max normalised scores); default: the collection's setting, else rrf" };
    private readonly Option<double?> _denseWeight = new("--dense-weight") { Description = "Weight of the dense ranking in hybrid fusion, 0..1 (BM25 gets the rest); default: the collection's setting, else 0.5" };
    private readonly Option<int?> _efSearch = new("--ef-search") { Description = "HNSW candidate list size per query (larger: better recall, slower)" };
    private readonly Option<bool> _exact = new("--exact") { Description = "Scan every vector instead of the HNSW graph" };
    private readonly Option<string?> _rerank = new("--rerank") { Description = "Rerank the top results with a cross-encoder: an ONNX model folder (ms-marco-MiniLM style)" };
    private readonly Option<int?> _rerankDepth = new("--rerank-depth") { Description = "How many first-stage results the reranker reorders (default 50; a learned ranker's 100)" };
    private readonly Option<string?> _expand = new("--expand") { Description = "Expand the BM25 query: none | rm3 (pseudo-relevance feedback from BM25's top 10 chunks, Anserini's parameters); default none" };
    private readonly Option<bool> _noRanker = new("--no-ranker") { Description = "Leave out the collection's learned ranker (sift train ranker), to compare; it applies only over BM25 with its default k1 and b, what it was trained on" };

    public RetrievalOptions()
    {
        _mode.AcceptOnlyFromAmong("bm25", "dense", "hybrid");
        _fusion.AcceptOnlyFromAmong("rrf", "weighted");
        _expand.AcceptOnlyFromAmong([.. RetrievalSettings.Expansions]);
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
        command.Options.Add(_expand);
        command.Options.Add(_noRanker);
    }

    /// <summary>The mode asked for, else the collection's setting, else the default.</summary>
    public string Mode(ParseResult result, IChunkStore collection) => result.GetValue(_mode) ?? collection.Settings.Mode ?? RetrievalSettings.DefaultMode;

    public bool NeedsVectors(ParseResult result, IChunkStore collection) => Mode(result, collection) is "dense" or "hybrid";

    public Retriever Build(ParseResult result, IChunkStore collection, Bm25Parameters? bm25 = null)
    {
        var defaults = RetrievalSettings.For(collection);
        var settings = defaults with
        {
            Mode = result.GetValue(_mode) ?? defaults.Mode,
            Fusion = result.GetValue(_fusion) ?? defaults.Fusion,
            DenseWeight = result.GetValue(_denseWeight) ?? defaults.DenseWeight,
            EfSearch = result.GetValue(_efSearch),
            Exact = result.GetValue(_exact),
            Bm25 = bm25,
            Expansion = result.GetValue(_expand) ?? defaults.Expansion,
        };
        if (settings.Mode == "dense" && result.GetValue(_expand) == RetrievalSettings.Rm3)
        {
            throw new Core.InvalidOptionException("expansion", "expands BM25's query: mode dense has no BM25 stage (use --mode bm25 or hybrid)");
        }

        // A cross-encoder named here replaces the collection's learned ranker; --no-ranker leaves it out.
        settings = result.GetValue(_rerank) is { } folder ? settings with { Reranker = new OnnxCrossEncoder(OnnxModelFolder.Open(folder)) }
            : result.GetValue(_noRanker) ? settings
            : LearnedRankers.Apply(settings, collection, CommonOptions.Analyzer, access: null);
        return RetrieverFactory.Create(collection, CommonOptions.Analyzer, result.GetValue(_rerankDepth) is { } depth ? settings with { RerankDepth = depth } : settings);
    }

    /// <summary>A retriever for one of the modes: "bm25", "dense", or "hybrid" with the given fusion.</summary>
    public static Retriever Create(IChunkStore collection, string mode, string fusion = RetrievalSettings.DefaultFusion, double denseWeight = 0.5) =>
        RetrieverFactory.Create(collection, CommonOptions.Analyzer, new RetrievalSettings(mode, fusion, denseWeight));
}
