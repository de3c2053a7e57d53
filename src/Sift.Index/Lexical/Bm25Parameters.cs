namespace Sift.Index.Lexical;

/// <summary>
/// Okapi BM25 constants. The defaults are Anserini's (k1 = 0.9, b = 0.4), which give the published Pyserini BEIR
/// baselines; Elasticsearch uses k1 = 1.2, b = 0.75.
/// </summary>
public sealed record Bm25Parameters(float K1 = 0.9f, float B = 0.4f)
{
    public static Bm25Parameters Default { get; } = new();
}
