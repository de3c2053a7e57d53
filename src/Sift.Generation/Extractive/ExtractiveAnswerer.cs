using System.Text;
using Sift.Core.Stages;
using Sift.Index.Analysis;
using Sift.Generation.Citations;
using Sift.Generation.Context;

namespace Sift.Generation.Extractive;

/// <summary>
/// The offline answerer: no model, just the sentences of the context that best answer the question. Each sentence is
/// scored by the query terms it contains (after the same analysis as search, weighted by how rare the term is in the
/// context), terms of its passage's title and headings counting half (a sentence under "Write-Ahead Logging" is about
/// it even when it says "WAL"), weighted up for passages retrieval ranked higher, and for "how" questions up again when
/// it shows something to type (a statement, a call, a setting: what a how-to answer is); near-duplicates are dropped;
/// the chosen sentences are put back in reading order (passage, then position) and each is cited.
/// </summary>
/// <param name="minCoverage">
/// Share of the question's content terms the best sentence must contain; below it the answerer abstains rather than
/// answer from a passage that only shares a word or two with the question.
/// </param>
public sealed partial class ExtractiveAnswerer(ITextAnalyzer analyzer, int maxSentences = 2, double minCoverage = 0.5)
{
    public const string ModelId = "extractive";

    /// <returns>The answer with [n] markers, or null when no sentence shares a term with the question.</returns>
    public string? Answer(string question, AssembledContext context)
    {
        var queryTerms = analyzer.Analyze(question).Select(t => t.Term).Where(t => !QuestionWording.Terms(analyzer).Contains(t)).ToHashSet(StringComparer.Ordinal);
        if (queryTerms.Count == 0)
        {
            return null;
        }

        var howTo = HowQuestion().IsMatch(question);
        var sentences = context.Passages
            .SelectMany(p =>
            {
                var heading = analyzer.Analyze(string.Join(' ', p.Chunk.Chunk.HeadingPath.Prepend(p.Chunk.Chunk.Title))).Select(t => t.Term).ToHashSet(StringComparer.Ordinal);
                return CitationChecker.Sentences(p.Chunk.Chunk.Text).Where(text => !text.StartsWith('#')).Select((text, position) =>
                    (Passage: p, Position: position, Text: text, Terms: analyzer.Analyze(text).Select(t => t.Term).ToHashSet(StringComparer.Ordinal), Heading: heading));
            })
            .ToList();
        var documentFrequency = queryTerms.ToDictionary(t => t, t => Math.Max(1, sentences.Count(s => s.Terms.Contains(t))), StringComparer.Ordinal);
        double Weight(string term) => Math.Log(1 + ((double)sentences.Count / documentFrequency[term]));

        var scored = sentences
            .Select(s =>
            {
                var own = s.Terms.Where(queryTerms.Contains).Sum(Weight);
                var inherited = s.Heading.Where(t => queryTerms.Contains(t) && !s.Terms.Contains(t)).Sum(Weight) / 2;
                var relevance = (own + inherited) * (1 + (0.5 / s.Passage.Chunk.Rank)) * (howTo && Typed().IsMatch(s.Text) ? 1.5 : 1);
                return (Sentence: s, Score: relevance, Own: own);
            })
            .Where(s => s.Own > 0)
            .OrderByDescending(s => s.Score)
            .ThenBy(s => s.Sentence.Passage.Chunk.Rank)
            .ThenBy(s => s.Sentence.Position);

        var chosen = new List<(ContextPassage Passage, int Position, string Text, HashSet<string> Terms, HashSet<string> Heading)>();
        foreach (var (sentence, _, _) in scored)
        {
            if (chosen.Count == maxSentences)
            {
                break;
            }

            // Skip a sentence whose terms mostly repeat one already chosen.
            if (chosen.Any(c => Overlap(c.Terms, sentence.Terms) > 0.8))
            {
                continue;
            }

            chosen.Add(sentence);
        }

        if (chosen.Count == 0 || (double)chosen.Max(c => c.Terms.Union(c.Heading).Count(queryTerms.Contains)) / queryTerms.Count < minCoverage)
        {
            return null;
        }

        var answer = new StringBuilder();
        foreach (var sentence in chosen.OrderBy(c => c.Passage.Label).ThenBy(c => c.Position))
        {
            var text = sentence.Text.TrimEnd();
            var end = text.Length > 0 && ".!?".Contains(text[^1], StringComparison.Ordinal) ? text[^1].ToString() : ".";
            answer.Append(text.TrimEnd('.', '!', '?')).Append(" [").Append(sentence.Passage.Label).Append(']').Append(end).Append(' ');
        }

        return answer.ToString().TrimEnd();
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\s*how\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex HowQuestion();

    // Something to type: an upper-case statement keyword followed by more, a name=value setting, or a call with parentheses.
    [System.Text.RegularExpressions.GeneratedRegex(@"\b[A-Z]{3,}\s+[\w(]|\w=\w|\w\([^)]*\)")]
    private static partial System.Text.RegularExpressions.Regex Typed();

    private static double Overlap(HashSet<string> a, HashSet<string> b) =>
        a.Count == 0 || b.Count == 0 ? 0 : (double)a.Intersect(b).Count() / Math.Min(a.Count, b.Count);
}
