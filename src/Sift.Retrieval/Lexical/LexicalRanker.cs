using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Core.Telemetry;
using Sift.Retrieval.Ranking;

namespace Sift.Retrieval.Lexical;

/// <summary>BM25 over one collection: analyze the query, then search the collection's lexical index (see <see cref="ILexicalIndex"/>).</summary>
public sealed class LexicalRanker(IChunkStore collection, ITextAnalyzer analyzer, Bm25Parameters? parameters = null) : IChunkRanker
{
    private readonly Bm25Parameters _parameters = parameters ?? Bm25Parameters.Default;

    public string Name => "bm25";

    public Task<IReadOnlyList<ChunkScore>> RankAsync(string query, int k, MetadataFilter? filter, CancellationToken cancellationToken)
    {
        using var stage = SiftTelemetry.Start("bm25");
        var terms = analyzer.Analyze(query).Select(t => t.Term).ToList();
        return Task.FromResult(collection.LexicalIndex(_parameters).Search(terms, k, filter));
    }
}
