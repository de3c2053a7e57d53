using Sift.Core.Stages;

namespace Sift.Retrieval.Snippets;

/// <summary>A short excerpt of a chunk and the spans in it that match query terms.</summary>
public sealed record Snippet(string Text, IReadOnlyList<(int Start, int Length)> Highlights);

/// <summary>
/// Picks the window of a chunk with the most query-term matches (after the same analysis as indexing, so "running"
/// highlights for the query "runs") and marks the matches.
/// </summary>
public sealed class SnippetBuilder(ITextAnalyzer analyzer, int width = 240)
{
    /// <summary>Snippets for one query: its terms are analysed once, then matched in each hit's text.</summary>
    public Func<string, Snippet> For(string query)
    {
        var queryTerms = analyzer.Analyze(query).Select(t => t.Term).ToHashSet(StringComparer.Ordinal);
        return text => Build(text, queryTerms);
    }

    private Snippet Build(string text, HashSet<string> queryTerms)
    {
        var matches = analyzer.Matches(text, queryTerms);

        var (start, end) = BestWindow(text, matches);
        var prefix = start > 0 ? "…" : "";
        var suffix = end < text.Length ? "…" : "";

        // Whitespace runs (line breaks, indentation) become one space; offsets maps each source character to the snippet.
        var snippet = new System.Text.StringBuilder(prefix);
        var offsets = new int[end - start + 1];
        for (var i = start; i < end; i++)
        {
            offsets[i - start] = snippet.Length;
            var whitespace = char.IsWhiteSpace(text[i]);
            if (!whitespace || (snippet.Length > 0 && snippet[^1] != ' '))
            {
                snippet.Append(whitespace ? ' ' : text[i]);
            }
        }

        offsets[end - start] = snippet.Length;
        var highlights = matches
            .Where(m => m.Start >= start && m.End <= end)
            .Select(m => (offsets[m.Start - start], offsets[m.End - start] - offsets[m.Start - start]))
            .ToList();
        return new Snippet(snippet.Append(suffix).ToString(), highlights);
    }

    private (int Start, int End) BestWindow(string text, IReadOnlyList<AnalyzedToken> matches)
    {
        if (text.Length <= width)
        {
            return (0, text.Length);
        }

        var bestFirst = 0;
        var bestCount = 0;
        var last = 0;
        for (var first = 0; first < matches.Count; first++)
        {
            while (last < matches.Count && matches[last].End - matches[first].Start <= width)
            {
                last++;
            }

            if (last - first > bestCount)
            {
                (bestFirst, bestCount) = (first, last - first);
            }
        }

        // Start a little before the first match so it reads in context, on a word boundary.
        var start = bestCount == 0 ? 0 : Math.Max(0, matches[bestFirst].Start - (width / 6));
        start = StartOfWord(text, start);
        var end = StartOfWord(text, Math.Min(text.Length, start + width));
        return (start, end <= start ? Math.Min(text.Length, start + width) : end);
    }

    /// <summary>Moves back to the start of the word <paramref name="position"/> is in (unchanged if that is the text's start).</summary>
    private static int StartOfWord(string text, int position)
    {
        if (position <= 0 || position >= text.Length)
        {
            return position;
        }

        var p = position;
        while (p > 0 && !char.IsWhiteSpace(text[p - 1]))
        {
            p--;
        }

        return p == 0 ? position : p;
    }
}
