using Sift.Core;
using Sift.Evaluation.Answers;
using Sift.Tests.Support;

namespace Sift.Tests.Evaluation;

/// <summary>SQuAD and RAGAS definitions on hand-worked cases.</summary>
public sealed class AnswerMetricsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void ExactMatchIgnoresCasePunctuationAndArticles()
    {
        Assert.Equal(1, AnswerMetrics.ExactMatch("The Eiffel Tower!", "eiffel tower"));
        Assert.Equal(0, AnswerMetrics.ExactMatch("Eiffel Tower in Paris", "eiffel tower"));
    }

    [Fact]
    public void TokenF1IsHarmonicMeanOfTokenPrecisionAndRecall()
    {
        // prediction tokens: cat, sat; reference: cat, sat, down -> P = 2/2, R = 2/3, F1 = 2 * 1 * 2/3 / (5/3) = 0.8
        Assert.Equal(0.8, AnswerMetrics.TokenF1("the cat sat", "a cat sat down"), 1e-9);
        // repeated tokens count once per occurrence: pred "cat cat", ref "cat" -> P = 1/2, R = 1, F1 = 2/3
        Assert.Equal(2.0 / 3, AnswerMetrics.TokenF1("cat cat", "cat"), 1e-9);
        Assert.Equal(0, AnswerMetrics.TokenF1("dog", "cat"), 1e-9);
        Assert.Equal(1, AnswerMetrics.TokenF1("the", "a"), 1e-9); // both normalise to nothing
    }

    [Fact]
    public void ContextPrecisionIsRankWeightedAsInRagas()
    {
        // relevant at ranks 1 and 3 of [r, x, r]: (1/1 + 2/3) / 2 = 0.8333
        Assert.Equal((1 + 2.0 / 3) / 2, AnswerMetrics.ContextPrecision(["r1", "x", "r2"], new HashSet<string> { "r1", "r2" }, 10), 1e-9);
        // relevant only at rank 2: (1/2) / 1 = 0.5
        Assert.Equal(0.5, AnswerMetrics.ContextPrecision(["x", "r1"], new HashSet<string> { "r1" }, 10), 1e-9);
        Assert.Equal(0, AnswerMetrics.ContextPrecision(["x", "r1"], new HashSet<string> { "r1" }, 1), 1e-9);
        Assert.Equal(0.5, AnswerMetrics.ContextRecall(["r1", "x"], new HashSet<string> { "r1", "r2" }), 1e-9);
    }

    [Fact]
    public void QaDatasetsAreValidatedWithLineNumbers()
    {
        var good = _folder.File("good.jsonl", "{\"id\":\"1\",\"question\":\"q?\",\"reference_answer\":\"a\",\"relevant_doc_ids\":[\"d\"],\"tags\":[\"t\"]}\n\n{\"question\":\"second?\"}\n");
        var items = QaDataset.Load(good);
        Assert.Equal(["1", "line3"], items.Select(i => i.Id));
        Assert.Equal(["d"], items[0].RelevantDocumentIds);

        var bad = _folder.File("bad.jsonl", "{\"question\":\"ok?\"}\n{\"question\":\"\"}\n{not json\n{\"question\":\"x\",\"tags\":\"oops\"}\n");
        var error = Assert.Throws<SiftException>(() => QaDataset.Load(bad));
        Assert.Contains("bad.jsonl:2: \"question\" is missing or empty (and 2 more problems)", error.Message, StringComparison.Ordinal);
        Assert.Throws<SiftException>(() => QaDataset.Load(_folder.Combine("none.jsonl")));
    }
}
