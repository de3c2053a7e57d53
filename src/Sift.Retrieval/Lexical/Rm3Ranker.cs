using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Core.Telemetry;
using Sift.Retrieval.Ranking;

namespace Sift.Retrieval.Lexical;

/// <summary>
/// BM25 with RM3 pseudo-relevance feedback, Anserini's way: the top <see cref="FeedbackChunks"/> chunks of a first BM25
/// search (filtered as the search is, so feedback comes only from what the caller may see) give a relevance model
/// P(w|R) = sum over chunks of P(w|chunk) x the chunk's share of their scores; its <see cref="FeedbackTerms"/> best terms
/// are interpolated with the query's own term distribution (<see cref="OriginalQueryWeight"/>) and BM25 searches again
/// with those weights, scaled by the query's length so that scores stay on BM25's scale (a query term counts 1 in
/// BM25 and 0.5 plus its share of the feedback here).
/// </summary>
public sealed class Rm3Ranker(IChunkStore collection, ITextAnalyzer analyzer, Bm25Parameters? parameters = null) : IChunkRanker
{
    public const int FeedbackChunks = 10;
    public const int FeedbackTerms = 10;
    public const double OriginalQueryWeight = 0.5;

    private readonly Bm25Parameters _parameters = parameters ?? Bm25Parameters.Default;

    public string Name => "bm25+rm3";

    public Task<IReadOnlyList<ChunkScore>> RankAsync(string query, int k, MetadataFilter? filter, CancellationToken cancellationToken)
    {
        using var stage = SiftTelemetry.Start("bm25-rm3");
        var index = collection.LexicalIndex(_parameters);
        var terms = analyzer.Analyze(query).Select(t => t.Term).ToList();
        var feedback = index.Search(terms, FeedbackChunks, filter);
        if (feedback.Count == 0 || terms.Count == 0)
        {
            return Task.FromResult(index.Search(terms, k, filter));
        }

        var chunks = collection.GetChunks([.. feedback.Select(f => f.ChunkId)]);
        var texts = chunks.Select(c => analyzer.Analyze(c.Title + "\n" + c.Text).Select(t => t.Term).ToList()).ToList();
        return Task.FromResult(index.Search(ExpandedQuery(terms, texts, [.. chunks.Select(c => feedback.First(f => f.ChunkId == c.Id).Score)]), k, filter));
    }

    /// <summary>
    /// The expanded query's weighted terms, from the query's terms and the feedback chunks' terms with their
    /// first-stage scores: the interpolated distribution times the query's length.
    /// </summary>
    public static IReadOnlyList<WeightedTerm> ExpandedQuery(IReadOnlyList<string> query, IReadOnlyList<IReadOnlyList<string>> feedback, IReadOnlyList<double> scores)
    {
        var total = scores.Sum();
        var relevance = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < feedback.Count; i++)
        {
            if (feedback[i].Count == 0 || total <= 0)
            {
                continue;
            }

            var share = scores[i] / total / feedback[i].Count;
            foreach (var term in feedback[i])
            {
                relevance[term] = relevance.GetValueOrDefault(term) + share;
            }
        }

        var expansion = relevance.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal).Take(FeedbackTerms).ToList();
        var expansionTotal = expansion.Sum(e => e.Value);
        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var term in query)
        {
            weights[term] = weights.GetValueOrDefault(term) + (OriginalQueryWeight / query.Count);
        }

        foreach (var (term, weight) in expansion)
        {
            weights[term] = weights.GetValueOrDefault(term) + ((1 - OriginalQueryWeight) * weight / expansionTotal);
        }

        return [.. weights.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => new WeightedTerm(w.Key, w.Value * query.Count))];
    }
}
