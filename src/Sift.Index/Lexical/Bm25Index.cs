namespace Sift.Index.Lexical;

/// <summary>
/// An in-memory inverted index scored with Okapi BM25 (Lucene's IDF, exact document lengths). Immutable once built,
/// so any number of threads may search it. Positions in it ("slots") are dense 0..Count-1.
/// </summary>
public sealed class Bm25Index
{
    [ThreadStatic]
    private static float[]? t_scores;

    [ThreadStatic]
    private static List<int>? t_touched;

    private readonly Dictionary<string, int> _termIds;
    private readonly int[][] _postingSlots;
    private readonly int[][] _postingFrequencies;
    private readonly float[] _lengthNorms;
    private readonly Bm25Parameters _parameters;

    private Bm25Index(Dictionary<string, int> termIds, int[][] postingSlots, int[][] postingFrequencies, float[] lengthNorms, Bm25Parameters parameters)
    {
        _termIds = termIds;
        _postingSlots = postingSlots;
        _postingFrequencies = postingFrequencies;
        _lengthNorms = lengthNorms;
        _parameters = parameters;
    }

    public int Count => _lengthNorms.Length;

    /// <summary>Builds from each entry's analyzed terms, in slot order.</summary>
    public static Bm25Index Build(IEnumerable<IReadOnlyList<string>> entries, Bm25Parameters parameters)
    {
        var termIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var slots = new List<List<int>>();
        var frequencies = new List<List<int>>();
        var lengths = new List<int>();
        var counts = new Dictionary<int, int>();
        foreach (var terms in entries)
        {
            var slot = lengths.Count;
            lengths.Add(terms.Count);
            counts.Clear();
            foreach (var term in terms)
            {
                if (!termIds.TryGetValue(term, out var id))
                {
                    id = termIds[term] = termIds.Count;
                    slots.Add([]);
                    frequencies.Add([]);
                }

                counts[id] = counts.GetValueOrDefault(id) + 1;
            }

            foreach (var (id, count) in counts)
            {
                slots[id].Add(slot);
                frequencies[id].Add(count);
            }
        }

        var averageLength = lengths.Count == 0 ? 1f : (float)lengths.Average();
        var norms = new float[lengths.Count];
        for (var i = 0; i < norms.Length; i++)
        {
            norms[i] = parameters.K1 * (1 - parameters.B + (parameters.B * lengths[i] / averageLength));
        }

        return new Bm25Index(
            termIds,
            [.. slots.Select(s => s.ToArray())],
            [.. frequencies.Select(f => f.ToArray())],
            norms,
            parameters);
    }

    /// <summary>
    /// The <paramref name="k"/> best slots for a bag of query terms (a repeated term counts once per repeat), best
    /// first, ties in slot order. <paramref name="allowed"/>, when given, excludes slots while scoring.
    /// </summary>
    public IReadOnlyList<ScoredSlot> Search(IReadOnlyList<string> queryTerms, int k, Func<int, bool>? allowed = null)
    {
        if (k <= 0 || Count == 0)
        {
            return [];
        }

        // The accumulator is per thread and kept all-zero between queries by resetting only the slots a query
        // touched, so a query costs its postings, not a pass over every slot of the index.
        var scores = t_scores is { } buffer && buffer.Length >= Count ? buffer : t_scores = new float[Count];
        var touched = t_touched ??= [];
        try
        {
            foreach (var (termId, weight) in QueryTermWeights(queryTerms))
            {
                AccumulateTerm(termId, weight, scores, touched);
            }

            return TopK(scores, touched, k, allowed);
        }
        finally
        {
            foreach (var slot in touched)
            {
                scores[slot] = 0;
            }

            touched.Clear();
        }
    }

    private Dictionary<int, int> QueryTermWeights(IReadOnlyList<string> queryTerms)
    {
        var weights = new Dictionary<int, int>();
        foreach (var term in queryTerms)
        {
            if (_termIds.TryGetValue(term, out var id))
            {
                weights[id] = weights.GetValueOrDefault(id) + 1;
            }
        }

        return weights;
    }

    private void AccumulateTerm(int termId, int queryWeight, float[] scores, List<int> touched)
    {
        var slots = _postingSlots[termId];
        var frequencies = _postingFrequencies[termId];
        var idf = MathF.Log(1 + ((Count - slots.Length + 0.5f) / (slots.Length + 0.5f)));
        var weight = idf * queryWeight * (_parameters.K1 + 1);
        for (var i = 0; i < slots.Length; i++)
        {
            var slot = slots[i];
            float tf = frequencies[i];
            if (scores[slot] == 0)
            {
                touched.Add(slot);
            }

            scores[slot] += weight * tf / (tf + _lengthNorms[slot]);
        }
    }

    private static List<ScoredSlot> TopK(float[] scores, List<int> touched, int k, Func<int, bool>? allowed)
    {
        var top = new Vectors.TopK(k);
        foreach (var slot in touched)
        {
            // The filter (metadata, access lists) is asked only about slots good enough to enter the top k.
            if (top.WouldKeep(slot, scores[slot]) && (allowed is null || allowed(slot)))
            {
                top.Offer(slot, scores[slot]);
            }
        }

        return [.. top.Drain().Select(n => new ScoredSlot(n.Node, n.Similarity))];
    }
}

public readonly record struct ScoredSlot(int Slot, float Score);
