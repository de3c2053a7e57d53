using System.Globalization;
using Sift.Core;

namespace Sift.Evaluation.Metrics;

public enum MetricFamily
{
    Ndcg,
    Mrr,
    Recall,
    Hit,
    Map,
    Precision,
}

/// <summary>A metric at a cutoff, written "ndcg@10".</summary>
public sealed record MetricSpec(MetricFamily Family, int K)
{
    private static readonly (string Name, MetricFamily Family)[] Names =
    [
        ("ndcg", MetricFamily.Ndcg), ("mrr", MetricFamily.Mrr), ("recall", MetricFamily.Recall),
        ("hit", MetricFamily.Hit), ("map", MetricFamily.Map), ("p", MetricFamily.Precision),
    ];

    /// <summary>nDCG@10, MRR@10, Recall@100, Hit@10, MAP@100, P@10: the BEIR headline plus what RAG needs.</summary>
    public static IReadOnlyList<MetricSpec> Defaults { get; } =
    [
        new(MetricFamily.Ndcg, 10), new(MetricFamily.Mrr, 10), new(MetricFamily.Recall, 100),
        new(MetricFamily.Hit, 10), new(MetricFamily.Map, 100), new(MetricFamily.Precision, 10),
    ];

    /// <summary>Every metric family at each cutoff given.</summary>
    public static IReadOnlyList<MetricSpec> AtCutoffs(IEnumerable<int> cutoffs) =>
        [.. cutoffs.Distinct().Order().SelectMany(k => Names.Select(n => new MetricSpec(n.Family, k)))];

    public override string ToString() => $"{Names.First(n => n.Family == Family).Name}@{K.ToString(CultureInfo.InvariantCulture)}";

    public static MetricSpec Parse(string text)
    {
        var parts = text.Split('@');
        var family = Names.FirstOrDefault(n => n.Name.Equals(parts[0], StringComparison.OrdinalIgnoreCase));
        if (parts.Length != 2 || family.Name is null || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var k) || k < 1)
        {
            throw new SiftException($"unknown metric '{text}' (use one of {string.Join(", ", Names.Select(n => n.Name + "@K"))})");
        }

        return new MetricSpec(family.Family, k);
    }
}
