using System.Numerics.Tensors;

namespace Sift.Models.Learned;

/// <summary>A first-stage candidate as the features see it: its analysed title and body, its vector, its score.</summary>
public sealed record RankingCandidate(IReadOnlyList<string> Title, IReadOnlyList<string> Body, float[] Vector, double Score)
{
    /// <summary>How often each term occurs in the title, the body and both (counted once per candidate, and kept by a cache).</summary>
    public TermCounts Counts { get; init; } = TermCounts.Of(Title, Body);
}

/// <summary>A candidate's term frequencies per field, and where each term stands (title first, then body).</summary>
public sealed record TermCounts(Dictionary<string, int> Title, Dictionary<string, int> Body, Dictionary<string, int[]> Positions)
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

        var positions = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var position = 0;
        foreach (var term in title.Concat(body))
        {
            if (!positions.TryGetValue(term, out var list))
            {
                positions[term] = list = [];
            }

            list.Add(position++);
        }

        return new TermCounts(Count(title), Count(body), positions.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal));
    }

    /// <summary>How often <paramref name="term"/> occurs in title and body together.</summary>
    public int All(string term) => Positions.TryGetValue(term, out var at) ? at.Length : 0;
}

/// <summary>Average title, body and whole lengths (in analysed terms) that BM25's length normalisation divides by.</summary>
public sealed record FieldLengths(double Title, double Body, double All);

/// <summary>
/// The features of (query, candidate) a learned ranker scores: the first-stage score and rank, BM25 on body and title
/// separately and with other k1/b, how much of the query (by IDF) the candidate and its title hold, the shortest window
/// holding the query terms it has, its length, GloVe SIF similarity, an RM3 score (terms of the top 10 candidates,
/// weighted by their scores, matched in each), and the judged prior of its document (how often judged queries found it
/// relevant, from the ranker's training). The same code computes them for training and for serving.
/// </summary>
public static class RankingFeatures
{
    public static IReadOnlyList<string> Names { get; } =
    [
        "first_stage_score", "log_rank", "score_over_top", "bm25_body", "bm25_title", "bm25_k1.2_b.75", "bm25_k2_b.9",
        "idf_coverage", "title_idf_coverage", "term_coverage", "proximity", "log_length", "glove_cosine", "rm3", "query_idf",
        "judged_prior",
    ];

    /// <summary>Index of the judged prior, which training fills in per fold (<see cref="JudgedPriors"/>).</summary>
    public static int PriorIndex { get; } = Names.Count - 1;

    /// <summary>The features of each candidate, in the candidates' (first-stage) order.</summary>
    /// <param name="idf">A term's inverse document frequency in the collection, as the caller may see it.</param>
    /// <param name="priors">Each candidate's judged prior (0 for every candidate when null).</param>
    public static float[][] Compute(
        IReadOnlyList<string> query, float[] queryVector, IReadOnlyList<RankingCandidate> candidates, Func<string, double> idf, FieldLengths lengths, IReadOnlyList<float>? priors = null)
    {
        if (candidates.Count == 0)
        {
            return [];
        }

        var unique = query.Distinct(StringComparer.Ordinal).ToArray();
        var idfs = Array.ConvertAll(unique, term => idf(term));
        var queryIdf = idfs.Sum();
        var top = double.MinValue;
        foreach (var candidate in candidates)
        {
            top = Math.Max(top, candidate.Score);
        }

        var expansion = Rm3Terms(candidates, top);
        var expansionIdf = Array.ConvertAll(expansion, e => idf(e.Term));
        var (all, titles, bodies) = (new int[unique.Length], new int[unique.Length], new int[unique.Length]);
        var features = new float[candidates.Count][];
        for (var rank = 0; rank < candidates.Count; rank++)
        {
            var candidate = candidates[rank];
            var counts = candidate.Counts;
            var (matchedIdf, titleIdf, matched) = (0.0, 0.0, 0);
            for (var j = 0; j < unique.Length; j++)
            {
                all[j] = counts.All(unique[j]);
                titles[j] = counts.Title.GetValueOrDefault(unique[j]);
                bodies[j] = counts.Body.GetValueOrDefault(unique[j]);
                if (all[j] > 0)
                {
                    matchedIdf += idfs[j];
                    matched++;
                }

                if (titles[j] > 0)
                {
                    titleIdf += idfs[j];
                }
            }

            var length = candidate.Title.Count + candidate.Body.Count;
            var rm3 = 0.0;
            for (var e = 0; e < expansion.Length; e++)
            {
                rm3 += expansion[e].Weight * Math.Log(1 + counts.All(expansion[e].Term)) * expansionIdf[e];
            }

            features[rank] =
            [
                (float)candidate.Score,
                (float)Math.Log(rank + 1),
                top <= 0 ? 0 : (float)(candidate.Score / top),
                (float)Bm25(idfs, bodies, candidate.Body.Count, lengths.Body, 0.9, 0.4),
                (float)Bm25(idfs, titles, candidate.Title.Count, lengths.Title, 0.9, 0.4),
                (float)Bm25(idfs, all, length, lengths.All, 1.2, 0.75),
                (float)Bm25(idfs, all, length, lengths.All, 2.0, 0.9),
                queryIdf == 0 ? 0 : (float)(matchedIdf / queryIdf),
                queryIdf == 0 ? 0 : (float)(titleIdf / queryIdf),
                unique.Length == 0 ? 0 : (float)matched / unique.Length,
                (float)Proximity(unique.Where((_, j) => all[j] > 0).Select(term => counts.Positions[term]).ToList()),
                (float)Math.Log(1 + length),
                Cosine(queryVector, candidate.Vector),
                (float)rm3,
                (float)queryIdf,
                priors is null ? 0 : priors[rank],
            ];
        }

        return features;
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
    private static (string Term, double Weight)[] Rm3Terms(IReadOnlyList<RankingCandidate> candidates, double top)
    {
        var feedback = Math.Min(10, candidates.Count);
        var norm = 0.0;
        for (var i = 0; i < feedback; i++)
        {
            norm += Math.Exp(candidates[i].Score - top);
        }

        var model = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < feedback; i++)
        {
            var length = Math.Max(1, candidates[i].Title.Count + candidates[i].Body.Count);
            var weight = Math.Exp(candidates[i].Score - top) / norm;
            foreach (var (term, positions) in candidates[i].Counts.Positions)
            {
                model[term] = model.GetValueOrDefault(term) + (weight * positions.Length / length);
            }
        }

        return [.. model.OrderByDescending(m => m.Value).ThenBy(m => m.Key, StringComparer.Ordinal).Take(10).Select(m => (m.Key, m.Value))];
    }

    /// <summary>Lucene's BM25 of the query terms over one field's terms.</summary>
    public static double Bm25(IReadOnlyList<string> terms, IReadOnlyList<string> field, double averageLength, double k1, double b, Func<string, double> idf)
    {
        var counts = TermCounts.Of(field, []);
        var unique = terms.Distinct(StringComparer.Ordinal).ToArray();
        return Bm25(Array.ConvertAll(unique, term => idf(term)), Array.ConvertAll(unique, counts.All), field.Count, averageLength, k1, b);
    }

    /// <summary>BM25 from each query term's IDF and frequency in the field.</summary>
    private static double Bm25(double[] idfs, int[] frequencies, int length, double averageLength, double k1, double b)
    {
        var score = 0.0;
        var norm = k1 * (1 - b + (b * length / Math.Max(averageLength, 1e-9)));
        for (var j = 0; j < idfs.Length; j++)
        {
            var tf = frequencies[j];
            if (tf > 0)
            {
                score += idfs[j] * tf * (k1 + 1) / (tf + norm);
            }
        }

        return score;
    }

    /// <summary>
    /// 1 / (1 + the shortest run of tokens holding every matched term, less their number): 1 when they stand side by
    /// side; the number matched (0 or 1) when fewer than two match.
    /// </summary>
    public static double Proximity(IReadOnlyList<string> tokens, IReadOnlyList<string> matched)
    {
        var positions = TermCounts.Of(tokens, []).Positions;
        return Proximity([.. matched.Distinct(StringComparer.Ordinal).Where(positions.ContainsKey).Select(term => positions[term])]);
    }

    /// <summary>
    /// The same from where each matched term stands: their occurrences merged in order, and the shortest run of them
    /// that holds every term (only occurrences of matched terms are read, not the whole text).
    /// </summary>
    private static double Proximity(List<int[]> positions)
    {
        if (positions.Count < 2)
        {
            return positions.Count;
        }

        var occurrences = new List<(int Position, int Term)>();
        for (var term = 0; term < positions.Count; term++)
        {
            foreach (var position in positions[term])
            {
                occurrences.Add((position, term));
            }
        }

        occurrences.Sort();
        var inWindow = new int[positions.Count];
        var (held, best, left) = (0, int.MaxValue, 0);
        foreach (var (position, term) in occurrences)
        {
            if (inWindow[term]++ == 0)
            {
                held++;
            }

            while (held == positions.Count)
            {
                best = Math.Min(best, position - occurrences[left].Position + 1);
                if (--inWindow[occurrences[left].Term] == 0)
                {
                    held--;
                }

                left++;
            }
        }

        return 1.0 / (1 + best - positions.Count);
    }
}

/// <summary>
/// Judged priors: for each document, the share (per 1,000) of judged queries that found it relevant. A collection's
/// documents are not equally likely answers (NFCorpus's popular papers answer many questions), and judgments (or
/// feedback) teach which. For training examples the prior comes from the other folds' queries only, so no example
/// sees its own judgment.
/// </summary>
public static class JudgedPriors
{
    /// <summary>Each document's prior from <paramref name="judgments"/> (one grade map per query).</summary>
    public static Dictionary<string, float> Of(IReadOnlyCollection<IReadOnlyDictionary<string, int>> judgments)
    {
        var priors = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var grades in judgments)
        {
            foreach (var (document, grade) in grades)
            {
                if (grade > 0)
                {
                    priors[document] = priors.GetValueOrDefault(document) + (1000f / judgments.Count);
                }
            }
        }

        return priors;
    }

    /// <summary>
    /// <paramref name="examples"/> with their prior feature from the judgments of queries in other folds (query i is in
    /// fold i % <paramref name="folds"/>), the scheme cross-validation uses.
    /// </summary>
    public static List<RankingExample> OutOfFold(IReadOnlyList<RankingExample> examples, Func<string, IReadOnlyDictionary<string, int>> judgments, int folds)
    {
        var result = new RankingExample[examples.Count];
        for (var fold = 0; fold < folds; fold++)
        {
            var priors = Of([.. examples.Where((_, i) => i % folds != fold).Select(e => judgments(e.QueryId))]);
            for (var i = fold; i < examples.Count; i += folds)
            {
                result[i] = With(examples[i], priors);
            }
        }

        return [.. result];
    }

    /// <summary><paramref name="example"/> with each candidate's prior taken from <paramref name="priors"/>.</summary>
    public static RankingExample With(RankingExample example, IReadOnlyDictionary<string, float> priors) => example with
    {
        Features = [.. example.Features.Select((features, i) =>
        {
            var copy = (float[])features.Clone();
            copy[RankingFeatures.PriorIndex] = priors.GetValueOrDefault(example.Documents[i]);
            return copy;
        })],
    };
}
