using System.Text;

namespace Sift.Evaluation.Answers;

/// <summary>
/// Answer metrics that need no judge. Token F1 and exact match follow the SQuAD evaluation script: lowercase, strip
/// punctuation and the articles a/an/the, collapse whitespace; F1 over the multiset of tokens. Context precision and
/// recall use document ids when the test set has judgments: recall is the share of relevant documents among those
/// used; precision@k is RAGAS's rank-weighted form, the mean of precision@i over the ranks i that hold a relevant one.
/// </summary>
public static class AnswerMetrics
{
    public static string Normalise(string text)
    {
        var kept = new StringBuilder(text.Length);
        foreach (var c in text.ToLowerInvariant())
        {
            kept.Append(char.IsPunctuation(c) || char.IsSymbol(c) ? ' ' : c);
        }

        return string.Join(' ', kept.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Where(w => w is not ("a" or "an" or "the")));
    }

    public static double ExactMatch(string prediction, string reference) => Normalise(prediction) == Normalise(reference) ? 1 : 0;

    public static double TokenF1(string prediction, string reference)
    {
        var predicted = Normalise(prediction).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var expected = Normalise(reference).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (predicted.Length == 0 || expected.Length == 0)
        {
            return predicted.Length == expected.Length ? 1 : 0;
        }

        var counts = expected.GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        var common = 0;
        foreach (var token in predicted)
        {
            if (counts.TryGetValue(token, out var left) && left > 0)
            {
                counts[token] = left - 1;
                common++;
            }
        }

        if (common == 0)
        {
            return 0;
        }

        var precision = (double)common / predicted.Length;
        var recall = (double)common / expected.Length;
        return 2 * precision * recall / (precision + recall);
    }

    /// <summary>Share of the relevant documents that appear among <paramref name="used"/>.</summary>
    public static double ContextRecall(IReadOnlyList<string> used, IReadOnlyCollection<string> relevant) =>
        relevant.Count == 0 ? 0 : (double)relevant.Count(used.Contains) / relevant.Count;

    /// <summary>RAGAS context precision@k: Σ precision@i · rel(i) / (relevant in top k), ranks from 1.</summary>
    public static double ContextPrecision(IReadOnlyList<string> ranked, IReadOnlyCollection<string> relevant, int k) =>
        RankWeightedPrecision([.. ranked.Take(k).Select(relevant.Contains)]);

    /// <summary>The same formula over relevance flags in rank order (from ids, or from a judge's verdicts).</summary>
    public static double RankWeightedPrecision(IReadOnlyList<bool> relevantAtRank)
    {
        var hits = 0;
        var sum = 0.0;
        for (var i = 0; i < relevantAtRank.Count; i++)
        {
            if (relevantAtRank[i])
            {
                hits++;
                sum += (double)hits / (i + 1);
            }
        }

        return hits == 0 ? 0 : sum / hits;
    }

    /// <summary>Cosine similarity of two vectors (0 when either is all zeros).</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var similarity = System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);
        return float.IsNaN(similarity) ? 0 : similarity;
    }
}
