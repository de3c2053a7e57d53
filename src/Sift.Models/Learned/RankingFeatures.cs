using System.Numerics.Tensors;

namespace Sift.Models.Learned;

/// <summary>A first-stage candidate as the features see it: its analysed title and body, its vector, its score.</summary>
public sealed record RankingCandidate(IReadOnlyList<string> Title, IReadOnlyList<string> Body, float[] Vector, double Score)
{
    /// <summary>How often each term occurs in the title, the body and both (counted once per candidate, and kept by a cache).</summary>
    public TermCounts Counts { get; init; } = TermCounts.Of(Title, Body);
}

/// <summary>A candidate's term frequencies per field.</summary>
public sealed record TermCounts(Dictionary<string, int> Title, Dictionary<string, int> Body, Dictionary<string, int> All)
{
    public static TermCounts Of(IReadOnlyList<string> title, IReadOnlyList<string> body)
    {
        static Dictionary<string, int> Count(IEnumerable<string> terms)
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var term in terms)
            {
                counts[term] = counts.GetValueOrDefault(term) + 1;
            }

            return counts;
        }

        return new TermCounts(Count(title), Count(body), Count(title.Concat(body)));
    }
}

/// <summary>Average title, body and whole lengths (in analysed terms) that BM25's length normalisation divides by.</summary>
public sealed record FieldLengths(double Title, double Body, double All);

/// <summary>
/// The features of (query, candidate) a learned ranker scores: the first-stage score and rank, BM25 on body and title
/// separately and with other k1/b, how much of the query (by IDF) the candidate and its title hold, the shortest window
/// holding the query terms it has, its length, GloVe SIF similarity, and an RM3 score (terms of the top 10 candidates,
/// weighted by their scores, matched in each). The same code computes them for training and for serving.
/// </summary>
public static class RankingFeatures
{
    public static IReadOnlyList<string> Names { get; } =
    [
        "first_stage_score", "log_rank", "score_over_top", "bm25_body", "bm25_title", "bm25_k1.2_b.75", "bm25_k2_b.9",
        "idf_coverage", "title_idf_coverage", "term_coverage", "proximity", "log_length", "glove_cosine", "rm3", "query_idf",
    ];

    /// <summary>The features of each candidate, in the candidates' (first-stage) order.</summary>
    /// <param name="idf">A term's inverse document frequency in the collection, as the caller may see it.</param>
    public static float[][] Compute(IReadOnlyList<string> query, float[] queryVector, IReadOnlyList<RankingCandidate> candidates, Func<string, double> idf, FieldLengths lengths)
    {
        if (candidates.Count == 0)
        {
            return [];
        }

        var unique = query.Distinct(StringComparer.Ordinal).ToList();
        var idfs = new Dictionary<string, double>(StringComparer.Ordinal);
        double Idf(string term) => idfs.TryGetValue(term, out var known) ? known : idfs[term] = idf(term);
        var queryIdf = unique.Sum(Idf);
        var top = candidates.Max(c => c.Score);
        var counts = candidates.Select(c => c.Counts.All).ToList();
        var expansion = Rm3Terms(candidates, counts, top);

        return [.. candidates.Select((candidate, rank) =>
        {
            var all = counts[rank];
            var length = candidate.Title.Count + candidate.Body.Count;
            var matched = unique.Where(all.ContainsKey).ToList();
            var title = candidate.Counts.Title;
            return new[]
            {
                (float)candidate.Score,
                (float)Math.Log(rank + 1),
                top <= 0 ? 0 : (float)(candidate.Score / top),
                (float)Bm25(unique, candidate.Counts.Body, candidate.Body.Count, lengths.Body, 0.9, 0.4, Idf),
                (float)Bm25(unique, candidate.Counts.Title, candidate.Title.Count, lengths.Title, 0.9, 0.4, Idf),
                (float)Bm25(unique, all, length, lengths.All, 1.2, 0.75, Idf),
                (float)Bm25(unique, all, length, lengths.All, 2.0, 0.9, Idf),
                queryIdf == 0 ? 0 : (float)(matched.Sum(Idf) / queryIdf),
                queryIdf == 0 ? 0 : (float)(unique.Where(title.ContainsKey).Sum(Idf) / queryIdf),
                unique.Count == 0 ? 0 : (float)matched.Count / unique.Count,
                (float)Proximity(candidate.Title, candidate.Body, matched),
                (float)Math.Log(1 + length),
                Cosine(queryVector, candidate.Vector),
                (float)expansion.Sum(e => e.Weight * Math.Log(1 + all.GetValueOrDefault(e.Term)) * Idf(e.Term)),
                (float)queryIdf,
            };
        })];
    }

    /// <summary>Cosine similarity; 0 when either text had no known word (a zero vector), never NaN.</summary>
    private static float Cosine(float[] a, float[] b)
    {
        if (a.Length == 0 || a.Length != b.Length)
        {
            return 0;
        }

        var cosine = TensorPrimitives.CosineSimilarity(a, b);
        return float.IsFinite(cosine) ? cosine : 0;
    }

    /// <summary>
    /// The 10 terms most likely in the relevance model of the top 10 candidates (RM3's P(w|R), each candidate weighted
    /// by exp(score - top score), each term by its share of the candidate).
    /// </summary>
    private static List<(string Term, double Weight)> Rm3Terms(IReadOnlyList<RankingCandidate> candidates, List<Dictionary<string, int>> counts, double top)
    {
        var feedback = Enumerable.Range(0, Math.Min(10, candidates.Count)).ToList();
        var norm = feedback.Sum(i => Math.Exp(candidates[i].Score - top));
        var model = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var i in feedback)
        {
            var length = Math.Max(1, candidates[i].Title.Count + candidates[i].Body.Count);
            var weight = Math.Exp(candidates[i].Score - top) / norm;
            foreach (var (term, count) in counts[i])
            {
                model[term] = model.GetValueOrDefault(term) + (weight * count / length);
            }
        }

        return [.. model.OrderByDescending(m => m.Value).ThenBy(m => m.Key, StringComparer.Ordinal).Take(10).Select(m => (m.Key, m.Value))];
    }

    /// <summary>Lucene's BM25 of the query terms over one field's terms.</summary>
    public static double Bm25(IReadOnlyList<string> terms, IReadOnlyList<string> field, double averageLength, double k1, double b, Func<string, double> idf) =>
        Bm25(terms, TermCounts.Of(field, []).Title, field.Count, averageLength, k1, b, idf);

    private static double Bm25(IReadOnlyList<string> terms, Dictionary<string, int> counts, int length, double averageLength, double k1, double b, Func<string, double> idf)
    {
        var score = 0.0;
        var norm = k1 * (1 - b + (b * length / Math.Max(averageLength, 1e-9)));
        foreach (var term in terms)
        {
            if (counts.TryGetValue(term, out var tf))
            {
                score += idf(term) * tf * (k1 + 1) / (tf + norm);
            }
        }

        return score;
    }

    /// <summary>
    /// 1 / (1 + the shortest run of tokens holding every matched term, less their number): 1 when they stand side by
    /// side; the number matched (0 or 1) when fewer than two match.
    /// </summary>
    public static double Proximity(IReadOnlyList<string> tokens, IReadOnlyList<string> matched) => Proximity(tokens, [], matched);

    /// <summary>The same over a title followed by a body, read in place.</summary>
    private static double Proximity(IReadOnlyList<string> title, IReadOnlyList<string> body, IReadOnlyList<string> matched)
    {
        if (matched.Count < 2)
        {
            return matched.Count;
        }

        string Token(int i) => i < title.Count ? title[i] : body[i - title.Count];
        var count = title.Count + body.Count;

        var want = matched.ToHashSet(StringComparer.Ordinal);
        var window = new Dictionary<string, int>(StringComparer.Ordinal);
        var best = int.MaxValue;
        var left = 0;
        for (var right = 0; right < count; right++)
        {
            var token = Token(right);
            if (!want.Contains(token))
            {
                continue;
            }

            window[token] = window.GetValueOrDefault(token) + 1;
            while (window.Count == want.Count)
            {
                best = Math.Min(best, right - left + 1);
                var first = Token(left);
                if (want.Contains(first) && --window[first] == 0)
                {
                    window.Remove(first);
                }

                left++;
            }
        }

        return best == int.MaxValue ? 0 : 1.0 / (1 + best - want.Count);
    }
}
