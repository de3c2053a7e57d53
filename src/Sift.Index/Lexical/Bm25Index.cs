using Sift.Core.Storage;

namespace Sift.Index.Lexical;

/// <summary>
/// An inverted index scored with Okapi BM25 (Lucene's IDF, exact document lengths) over <see cref="Bm25Postings"/>,
/// built in memory or mapped from a file. Immutable, so any number of threads may search it. Positions in it ("slots") are dense 0..Count-1.
/// </summary>
public sealed class Bm25Index
{
    [ThreadStatic]
    private static float[]? t_scores;

    [ThreadStatic]
    private static List<int>? t_touched;

    private readonly Bm25Postings _postings;
    private readonly float[] _lengthNorms;
    private readonly int[] _partitionOfSlot;
    private readonly int[] _partitionSlots;
    private readonly long[] _partitionLength;
    private readonly Bm25Parameters _parameters;

    /// <summary>Scores <paramref name="postings"/> with the given parameters.</summary>
    /// <param name="partitionOfSlot">
    /// Each slot's partition (0..n-1), e.g. its access class; a search may then be limited to some partitions, with
    /// collection statistics computed over those partitions alone. Null puts every slot in partition 0.
    /// </param>
    public Bm25Index(Bm25Postings postings, Bm25Parameters parameters, IReadOnlyList<int>? partitionOfSlot = null)
    {
        var lengths = postings.Lengths;
        var partitions = partitionOfSlot is null ? new int[lengths.Length] : [.. partitionOfSlot];
        if (partitions.Length != lengths.Length || partitions.Any(p => p < 0))
        {
            throw new ArgumentException($"{partitions.Length} partitions given for {lengths.Length} slots, or a negative partition", nameof(partitionOfSlot));
        }

        _postings = postings;
        _parameters = parameters;
        _partitionOfSlot = partitions;
        _partitionSlots = new int[partitions.Length == 0 ? 1 : partitions.Max() + 1];
        _partitionLength = new long[_partitionSlots.Length];
        var totalLength = 0L;
        for (var slot = 0; slot < lengths.Length; slot++)
        {
            _partitionSlots[partitions[slot]]++;
            _partitionLength[partitions[slot]] += lengths[slot];
            totalLength += lengths[slot];
        }

        var averageLength = AverageLength(totalLength, lengths.Length);
        _lengthNorms = new float[lengths.Length];
        for (var i = 0; i < _lengthNorms.Length; i++)
        {
            _lengthNorms[i] = LengthNorm(parameters, lengths[i], averageLength);
        }
    }

    public int Count => _lengthNorms.Length;

    /// <summary>The terms, postings and lengths scored, as persisted.</summary>
    public Bm25Postings Postings => _postings;

    /// <summary>Builds from each entry's analyzed terms, in slot order (see the constructor for partitions).</summary>
    public static Bm25Index Build(IEnumerable<IReadOnlyList<string>> entries, Bm25Parameters parameters, IReadOnlyList<int>? partitionOfSlot = null) =>
        new(Bm25Postings.Build(entries), parameters, partitionOfSlot);

    /// <summary>
    /// A term's inverse document frequency (Lucene's, as scoring uses it), over the visible partitions when given; a
    /// term no visible slot holds gets the highest value, as the rarest possible term.
    /// </summary>
    public double Idf(string term, IReadOnlyList<bool>? visiblePartitions = null)
    {
        var count = 0;
        for (var p = 0; p < Partitions; p++)
        {
            count += visiblePartitions is null || visiblePartitions[p] ? _partitionSlots[p] : 0;
        }

        var frequency = 0;
        if (_postings.TryGetTerm(term, out var id))
        {
            foreach (var slot in _postings.SlotsOf(id))
            {
                frequency += visiblePartitions is null || visiblePartitions[_partitionOfSlot[slot]] ? 1 : 0;
            }
        }

        return Idf(count, frequency);
    }

    /// <summary>How many partitions the index was built with.</summary>
    public int Partitions => _partitionSlots.Length;

    // One expression for whole-index and partition statistics, so both give bit-identical scores for the same corpus.
    private static float AverageLength(long totalLength, int count) => count == 0 ? 1f : (float)((double)totalLength / count);

    private static float LengthNorm(Bm25Parameters parameters, int length, float averageLength) =>
        parameters.K1 * (1 - parameters.B + (parameters.B * length / averageLength));

    private static float Idf(int count, int documentFrequency) =>
        MathF.Log(1 + ((count - documentFrequency + 0.5f) / (documentFrequency + 0.5f)));

    /// <summary>
    /// The <paramref name="k"/> best slots for a bag of query terms (a repeated term counts once per repeat), best
    /// first, ties in slot order. <paramref name="allowed"/>, when given, excludes slots while scoring.
    /// </summary>
    /// <param name="visiblePartitions">
    /// When given, only slots of these partitions exist for this search: document count, average length and each
    /// term's document frequency are computed over them, so the scores are exactly those of an index holding only
    /// them (hidden slots cannot move a visible slot's score). Null searches the whole index.
    /// </param>
    public IReadOnlyList<ScoredSlot> Search(IReadOnlyList<string> queryTerms, int k, Func<int, bool>? allowed = null, IReadOnlyList<bool>? visiblePartitions = null) =>
        Search([.. queryTerms.Select(term => new WeightedTerm(term, 1))], k, allowed, visiblePartitions);

    /// <summary>The same for weighted terms: each term's contribution times its weight (a term given twice adds up).</summary>
    public IReadOnlyList<ScoredSlot> Search(IReadOnlyList<WeightedTerm> queryTerms, int k, Func<int, bool>? allowed = null, IReadOnlyList<bool>? visiblePartitions = null)
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
            if (visiblePartitions is null)
            {
                foreach (var (termId, weight) in QueryTermWeights(queryTerms))
                {
                    AccumulateTerm(termId, weight, scores, touched);
                }
            }
            else
            {
                AccumulateVisible(QueryTermWeights(queryTerms), visiblePartitions, scores, touched);
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

    private Dictionary<int, float> QueryTermWeights(IReadOnlyList<WeightedTerm> queryTerms)
    {
        var weights = new Dictionary<int, float>();
        foreach (var (term, weight) in queryTerms)
        {
            if (_postings.TryGetTerm(term, out var id))
            {
                weights[id] = weights.GetValueOrDefault(id) + (float)weight;
            }
        }

        return weights;
    }

    private void AccumulateTerm(int termId, float queryWeight, float[] scores, List<int> touched)
    {
        var slots = _postings.SlotsOf(termId);
        var frequencies = _postings.FrequenciesOf(termId);
        var weight = Idf(Count, slots.Length) * queryWeight * (_parameters.K1 + 1);
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

    /// <summary>Scores only slots of visible partitions, with statistics over those partitions.</summary>
    private void AccumulateVisible(Dictionary<int, float> termWeights, IReadOnlyList<bool> visiblePartitions, float[] scores, List<int> touched)
    {
        if (visiblePartitions.Count != Partitions)
        {
            throw new ArgumentException($"{visiblePartitions.Count} partition flags for an index of {Partitions} partitions", nameof(visiblePartitions));
        }

        var count = 0;
        var totalLength = 0L;
        for (var p = 0; p < Partitions; p++)
        {
            if (visiblePartitions[p])
            {
                count += _partitionSlots[p];
                totalLength += _partitionLength[p];
            }
        }

        if (count == 0)
        {
            return;
        }

        var averageLength = AverageLength(totalLength, count);
        foreach (var (termId, queryWeight) in termWeights)
        {
            var slots = _postings.SlotsOf(termId);
            var frequencies = _postings.FrequenciesOf(termId);
            var documentFrequency = 0;
            foreach (var slot in slots)
            {
                documentFrequency += visiblePartitions[_partitionOfSlot[slot]] ? 1 : 0;
            }

            if (documentFrequency == 0)
            {
                continue;
            }

            var weight = Idf(count, documentFrequency) * queryWeight * (_parameters.K1 + 1);
            for (var i = 0; i < slots.Length; i++)
            {
                var slot = slots[i];
                if (!visiblePartitions[_partitionOfSlot[slot]])
                {
                    continue;
                }

                float tf = frequencies[i];
                if (scores[slot] == 0)
                {
                    touched.Add(slot);
                }

                scores[slot] += weight * tf / (tf + LengthNorm(_parameters, _postings.Lengths[slot], averageLength));
            }
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
