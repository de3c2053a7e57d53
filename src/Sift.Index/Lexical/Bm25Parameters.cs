namespace Sift.Index.Lexical;

/// <summary>
/// Okapi BM25 constants. The defaults are Anserini's (k1 = 0.9, b = 0.4), which give the published Pyserini BEIR
/// baselines; Elasticsearch uses k1 = 1.2, b = 0.75.
/// </summary>
public sealed record Bm25Parameters(float K1 = 0.9f, float B = 0.4f)
{
    public static Bm25Parameters Default { get; } = new();

    /// <summary>Validated construction for values a user typed.</summary>
    public static Bm25Parameters Create(float k1, float b) =>
        k1 < 0 || float.IsNaN(k1) ? throw new Sift.Core.SiftException($"BM25 k1 must be zero or more (got {k1})")
        : b is < 0 or > 1 || float.IsNaN(b) ? throw new Sift.Core.SiftException($"BM25 b must be between 0 and 1 (got {b})")
        : new Bm25Parameters(k1, b);
}
