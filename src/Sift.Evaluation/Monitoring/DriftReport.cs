using Sift.Core.Vectors;

namespace Sift.Evaluation.Monitoring;

/// <summary>
/// One query as the monitor sees it: features of the question (known before retrieval) and outcomes of answering it.
/// </summary>
/// <param name="Terms">Analysed query terms.</param>
/// <param name="OutOfVocabulary">Share of the terms the collection never contains.</param>
/// <param name="Language">A guess from function words (en, de, fr, es, it, nl, pt), "und" when none is recognised.</param>
/// <param name="Embedding">The query's embedding (for the cluster histogram), or null without an embedder.</param>
/// <param name="Gap">Score of rank 1 minus score of rank 10 (or of the last result when fewer).</param>
/// <param name="Abstained">Whether the answer abstained; null for a search.</param>
public sealed record QuerySample(
    int Terms, double OutOfVocabulary, string Language, float[]? Embedding, double TopScore, double Gap, double LatencyMs, bool? Abstained = null);

/// <summary>
/// When a feature counts as drifted: PSI at or above <paramref name="Psi"/> and a test p-value below
/// <paramref name="PValue"/> (KS for numeric features, chi-square for categorical ones).
/// </summary>
/// <param name="MinSamples">Fewer samples in either window: nothing is concluded.</param>
public sealed record DriftThresholds(double Psi = 0.2, double PValue = 0.01, int MinSamples = 30, int Clusters = 8);

/// <param name="Bins">Category names, or the numeric bins' upper edges (the last "+inf").</param>
/// <param name="Test">"ks" (statistic D) or "chi-square".</param>
public sealed record FeatureDrift(
    string Name, string Kind, double Psi, string Test, double Statistic, double PValue, bool Drifted,
    IReadOnlyList<string> Bins, IReadOnlyList<long> Reference, IReadOnlyList<long> Current, double? ReferenceMean, double? CurrentMean);

public sealed record DriftReport(int ReferenceCount, int CurrentCount, DriftThresholds Thresholds, IReadOnlyList<FeatureDrift> Features, string? Note)
{
    public bool Alert => Features.Any(f => f.Drifted);

    public IEnumerable<string> Drifted => Features.Where(f => f.Drifted).Select(f => f.Name);

    /// <summary>Compares a reference window with a current one, feature by feature.</summary>
    public static DriftReport Compare(IReadOnlyList<QuerySample> reference, IReadOnlyList<QuerySample> current, DriftThresholds? thresholds = null)
    {
        thresholds ??= new DriftThresholds();
        if (reference.Count < thresholds.MinSamples || current.Count < thresholds.MinSamples)
        {
            return new DriftReport(reference.Count, current.Count, thresholds, [],
                $"too few queries to compare (reference {reference.Count}, current {current.Count}; at least {thresholds.MinSamples} each)");
        }

        var features = new List<FeatureDrift>
        {
            Numeric("query_terms", reference.Select(s => (double)s.Terms), current.Select(s => (double)s.Terms), thresholds),
            Numeric("out_of_vocabulary", reference.Select(s => s.OutOfVocabulary), current.Select(s => s.OutOfVocabulary), thresholds),
            Categorical("language", reference.Select(s => s.Language), current.Select(s => s.Language), thresholds),
        };
        if (reference.All(s => s.Embedding is not null) && current.All(s => s.Embedding is not null))
        {
            // Fitted on both windows alike: clusters fitted to the reference alone fit it better than any other
            // window, which reads as drift where there is none.
            var clusters = EmbeddingClusters.Fit([.. reference.Concat(current).Select(s => s.Embedding!)], thresholds.Clusters, seed: 17);
            string Cluster(QuerySample s) => $"cluster {clusters.Assign(s.Embedding!)}";
            features.Add(Categorical("embedding_cluster", reference.Select(Cluster), current.Select(Cluster), thresholds));
        }

        features.Add(Numeric("top_score", reference.Select(s => s.TopScore), current.Select(s => s.TopScore), thresholds));
        features.Add(Numeric("score_gap_1_10", reference.Select(s => s.Gap), current.Select(s => s.Gap), thresholds));
        features.Add(Numeric("latency_ms", reference.Select(s => s.LatencyMs), current.Select(s => s.LatencyMs), thresholds));
        if (reference.Any(s => s.Abstained is not null) && current.Any(s => s.Abstained is not null))
        {
            static string Outcome(QuerySample s) => s.Abstained switch { true => "abstained", false => "answered", null => "search" };
            features.Add(Categorical("abstention", reference.Select(Outcome), current.Select(Outcome), thresholds));
        }

        return new DriftReport(reference.Count, current.Count, thresholds, features, null);
    }

    private static FeatureDrift Numeric(string name, IEnumerable<double> reference, IEnumerable<double> current, DriftThresholds thresholds)
    {
        double[] a = [.. reference], b = [.. current];
        var edges = DriftStatistics.QuantileEdges(a, 10);
        var (referenceCounts, currentCounts) = (DriftStatistics.Histogram(a, edges), DriftStatistics.Histogram(b, edges));
        var psi = DriftStatistics.Psi(referenceCounts, currentCounts);
        var (d, p) = DriftStatistics.KolmogorovSmirnov(a, b);
        return new FeatureDrift(
            name, "numeric", psi, "ks", d, p, psi >= thresholds.Psi && p < thresholds.PValue,
            [.. edges.Select(e => e.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)), "+inf"], referenceCounts, currentCounts, a.Average(), b.Average());
    }

    private static FeatureDrift Categorical(string name, IEnumerable<string> reference, IEnumerable<string> current, DriftThresholds thresholds)
    {
        string[] a = [.. reference], b = [.. current];
        var (categories, referenceCounts, currentCounts) = DriftStatistics.Categories(a, b);
        return Categorical(name, categories, referenceCounts, currentCounts, thresholds);
    }

    /// <summary>A categorical feature's drift from its two histograms.</summary>
    public static FeatureDrift Categorical(string name, IReadOnlyList<string> categories, long[] reference, long[] current, DriftThresholds thresholds)
    {
        var psi = DriftStatistics.Psi(reference, current);
        var (statistic, _, p) = DriftStatistics.ChiSquare(reference, current);
        return new FeatureDrift(name, "categorical", psi, "chi-square", statistic, p, psi >= thresholds.Psi && p < thresholds.PValue, categories, reference, current, null, null);
    }
}

/// <summary>
/// k-means over unit vectors (cosine), k-means++ seeding from a fixed seed, a few Lloyd iterations: enough to turn
/// query embeddings into a histogram whose shape the monitor compares between windows.
/// </summary>
public sealed class EmbeddingClusters
{
    private readonly float[][] _centroids;

    private EmbeddingClusters(float[][] centroids) => _centroids = centroids;

    public int Count => _centroids.Length;

    public static EmbeddingClusters Fit(IReadOnlyList<float[]> vectors, int k, int seed, int iterations = 20)
    {
        var units = vectors.Select(Unit).ToArray();
        k = Math.Max(1, Math.Min(k, units.Length));
        var random = new Random(seed);
        var centroids = new List<float[]> { units[random.Next(units.Length)] };
        while (centroids.Count < k)
        {
            // k-means++: the next centre is drawn with probability proportional to its squared distance from the nearest one.
            var distances = units.Select(u => centroids.Min(c => 1 - VectorMath.Dot(u, c))).Select(d => Math.Max(0, d) * Math.Max(0, d)).ToArray();
            var total = distances.Sum();
            if (total <= 0)
            {
                break;
            }

            var pick = random.NextDouble() * total;
            var index = 0;
            for (; index < distances.Length - 1 && pick > distances[index]; index++)
            {
                pick -= distances[index];
            }

            centroids.Add(units[index]);
        }

        var fitted = new EmbeddingClusters([.. centroids]);
        for (var iteration = 0; iteration < iterations; iteration++)
        {
            var sums = centroids.Select(c => new float[c.Length]).ToArray();
            foreach (var unit in units)
            {
                var nearest = fitted.Assign(unit);
                for (var d = 0; d < unit.Length; d++)
                {
                    sums[nearest][d] += unit[d];
                }
            }

            fitted = new EmbeddingClusters([.. sums.Select((s, i) => s.Any(v => v != 0) ? Unit(s) : fitted._centroids[i])]);
        }

        return fitted;
    }

    public int Assign(float[] vector)
    {
        var unit = Unit(vector);
        var (best, similarity) = (0, float.NegativeInfinity);
        for (var c = 0; c < _centroids.Length; c++)
        {
            var value = VectorMath.Dot(unit, _centroids[c]);
            if (value > similarity)
            {
                (best, similarity) = (c, value);
            }
        }

        return best;
    }

    private static float[] Unit(float[] vector)
    {
        var copy = vector.ToArray();
        VectorMath.Normalize(copy);
        return copy;
    }
}
