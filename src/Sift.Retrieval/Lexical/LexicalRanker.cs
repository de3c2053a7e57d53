using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Core.Telemetry;
using Sift.Index.Lexical;
using Sift.Index.Storage;
using Sift.Retrieval.Ranking;

namespace Sift.Retrieval.Lexical;

/// <summary>
/// BM25 over one collection: analyze the query, score, filter by metadata while scoring. When the filter carries the
/// caller's access, collection statistics come from the documents that caller may see, so scores reveal nothing about
/// hidden documents.
/// </summary>
public sealed class LexicalRanker(Collection collection, ITextAnalyzer analyzer, Bm25Parameters? parameters = null) : IChunkRanker
{
    private readonly Bm25Parameters _parameters = parameters ?? Bm25Parameters.Default;

    public string Name => "bm25";

    public Task<IReadOnlyList<ChunkScore>> RankAsync(string query, int k, MetadataFilter? filter, CancellationToken cancellationToken)
    {
        using var stage = SiftTelemetry.Start("bm25");
        var snapshot = collection.LexicalIndex(_parameters);
        var terms = analyzer.Analyze(query).Select(t => t.Term).ToList();
        var visible = snapshot.Access.VisibleTo(filter?.Access).Partitions;
        var slots = snapshot.Index.Search(terms, k, MetadataSlots.Allowed(snapshot.DocumentIds, () => snapshot.DocumentMetadata, filter), visible);
        IReadOnlyList<ChunkScore> scores = [.. slots.Select(s => new ChunkScore(snapshot.ChunkIds[s.Slot], snapshot.DocumentIds[s.Slot], s.Score))];
        return Task.FromResult(scores);
    }
}
