using System.Text.Json;
using Sift.Index.Analysis;
using Sift.Tests.Support;

namespace Sift.Tests.Index;

/// <summary>
/// Matches (used for snippets on every hit) skips stemming words that cannot match; it must find exactly the tokens,
/// terms and offsets that full analysis finds, on real abstracts and on text with possessives, capitals, stopwords and
/// words whose stems change their ending (studies -> studi, relational -> relat).
/// </summary>
public sealed class TextAnalyzerTests
{
    private static readonly EnglishTextAnalyzer Analyzer = new();

    [Theory]
    [InlineData("vitamin D deficiency increases the risk of cancer")]
    [InlineData("relational studies of the body's happiness")]
    [InlineData("What are the effects of smoking on COVID-19 outcomes?")]
    public void MatchesFindsWhatFullAnalysisFinds(string query)
    {
        var terms = Analyzer.Analyze(query).Select(t => t.Term).ToHashSet(StringComparer.Ordinal);
        var texts = File.ReadLines(Path.Combine(Paths.Dataset("scifact"), "corpus.jsonl")).Take(500)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!)
            .Append("Relational studies: The Body's HAPPINESS studied relationally; happy bodies, a body, smokers smoked. COVID-19 outcomes.");

        var matched = 0;
        foreach (var text in texts)
        {
            var expected = Analyzer.Analyze(text).Where(t => terms.Contains(t.Term)).ToList();
            Assert.Equal(expected, Analyzer.Matches(text, terms));
            matched += expected.Count;
        }

        Assert.True(matched > 20, $"only {matched} matches: the comparison would prove little");
    }
}
