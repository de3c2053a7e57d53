using Sift.Core.Stages;
using Sift.Index.Analysis;

namespace Sift.Generation.Citations;

/// <summary>
/// Whether a cited passage supports a sentence, offline: the share of the sentence's content terms (analyzed, without
/// the words of <see cref="QuestionWording"/>) that the passage holds. "The moon is made of cheese [9]" citing a
/// passage about SQLite holds none of them. Lexical support cannot tell a passage that contradicts a sentence from one
/// that supports it (both share its words): that needs a judge (the support rubric of <c>sift eval answers --judge</c>).
/// The threshold was chosen on SciFact's training claims (benchmarks/Sift.Benchmarks: support).
/// </summary>
public sealed class CitationSupport(ITextAnalyzer analyzer, double threshold = CitationSupport.DefaultThreshold)
{
    public const double DefaultThreshold = 0.33;

    /// <summary>The share of the sentence's content terms the passage holds, 0..1 (1 for a sentence with none).</summary>
    public double Score(string sentence, string passage)
    {
        var wording = QuestionWording.Terms(analyzer);
        var terms = analyzer.Analyze(sentence).Select(t => t.Term).Where(t => !wording.Contains(t)).ToHashSet(StringComparer.Ordinal);
        if (terms.Count == 0)
        {
            return 1;
        }

        var held = analyzer.Matches(passage, terms).Select(t => t.Term).Distinct(StringComparer.Ordinal).Count();
        return (double)held / terms.Count;
    }

    public bool Supports(string sentence, string passage) => Score(sentence, passage) >= threshold;
}
