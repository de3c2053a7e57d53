using System.Collections.Concurrent;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Models.Static;

namespace Sift.Models.Learned;

/// <summary>A chunk's analysed title and body and its GloVe SIF vector, computed once per chunk.</summary>
public sealed class CandidateCache(ITextAnalyzer analyzer)
{
    /// <summary>Chunks kept (their terms, counts and vector: some KB each); beyond it the cache starts over.</summary>
    private const int MaxChunks = 50_000;

    private readonly ConcurrentDictionary<long, RankingCandidate> _chunks = new();

    public RankingCandidate For(StoredChunk chunk, double score)
    {
        if (!_chunks.TryGetValue(chunk.Id, out var known))
        {
            if (_chunks.Count >= MaxChunks)
            {
                _chunks.Clear();
            }

            known = _chunks[chunk.Id] = new RankingCandidate(Terms(chunk.Title), Terms(chunk.Text), StaticWordEmbedder.Default.Embed(ModelText.Of(chunk)), 0);
        }

        return known with { Score = score };
    }

    public IReadOnlyList<string> Terms(string text) => [.. analyzer.Analyze(text).Select(t => t.Term)];
}

/// <summary>
/// The rerank stage of a collection with a learned ranker: scores the first stage's candidates with the model, over
/// features whose IDF is what the caller may see (<paramref name="idf"/>), and orders them by it. Each keeps its first
/// stage's score, so thresholds set on BM25 scores (abstention's --min-score) mean what they meant.
/// </summary>
public sealed class LearnedReranker(RankerModel model, CandidateCache cache, Func<string, double> idf) : IReranker
{
    public string Name => "learned";

    public Task<IReadOnlyList<RetrievedChunk>> RerankAsync(string query, IReadOnlyList<RetrievedChunk> candidates, CancellationToken cancellationToken = default)
    {
        var features = RankingFeatures.Compute(
            cache.Terms(query), StaticWordEmbedder.Default.Embed(query), [.. candidates.Select(c => cache.For(c.Chunk, c.Score))], idf, model.Lengths,
            [.. candidates.Select(c => model.Priors.GetValueOrDefault(c.Chunk.DocumentId))]);
        var scores = model.Score(features);
        IReadOnlyList<RetrievedChunk> ranked = [.. candidates.Select((c, i) => (Candidate: c, Score: scores[i]))
            .OrderByDescending(c => c.Score).ThenBy(c => c.Candidate.Rank)
            .Select((c, i) => c.Candidate with { Rank = i + 1 })];
        return Task.FromResult(ranked);
    }
}
