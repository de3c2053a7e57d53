using System.Text.RegularExpressions;
using Sift.Generation.Context;

namespace Sift.Generation.Citations;

/// <summary>A sentence of a text: where it starts and ends in the text, and its words with whitespace made single spaces.</summary>
public readonly record struct SentenceSpan(int Start, int End, string Text);

/// <summary>A checked citation: the passage a sentence cites and the span of it that best supports the sentence.</summary>
/// <param name="HeadingPath">The section the passage sits in (Markdown/HTML headings), empty when the format has none.</param>
/// <param name="Page">The page of a PDF passage.</param>
public sealed record Citation(
    int Label, long ChunkId, string DocumentId, string Source, int Start, int End, string Quote, IReadOnlyList<string>? HeadingPath = null, int? Page = null);

/// <param name="InvalidMarkers">Markers pointing at no passage of the context (removed from the repaired text).</param>
/// <param name="UncitedSentences">Sentences of the answer that cite nothing.</param>
/// <param name="UnsupportedSentences">Sentences whose cited passages do not hold enough of their words (see <see cref="CitationSupport"/>).</param>
public sealed record CitationReport(
    string RepairedAnswer, IReadOnlyList<Citation> Citations, IReadOnlyList<int> InvalidMarkers, IReadOnlyList<string> UncitedSentences,
    IReadOnlyList<string>? UnsupportedSentences = null)
{
    public bool IsClean => InvalidMarkers.Count == 0 && UncitedSentences.Count == 0 && (UnsupportedSentences?.Count ?? 0) == 0;
}

/// <summary>
/// Checks an answer's [n] markers against the context it was given: every marker must name a passage that was in the
/// context (others are removed and reported, never passed on silently), and sentences without a marker are flagged.
/// </summary>
/// <param name="support">When given, each cited sentence must also be supported by a passage it cites (lexically).</param>
public sealed partial class CitationChecker(CitationSupport? support = null)
{
    public CitationReport Check(string answer, AssembledContext context)
    {
        var byLabel = context.Passages.ToDictionary(p => p.Label);
        var invalid = new SortedSet<int>();
        var cited = new List<Citation>();
        var uncited = new List<string>();
        var unsupported = new List<string>();
        foreach (var (sentence, labels) in SentenceLabels(answer))
        {
            var valid = labels.Where(byLabel.ContainsKey).ToList();
            invalid.UnionWith(labels.Where(l => !byLabel.ContainsKey(l)));
            var bare = SpacedMarkers().Replace(sentence, "").Trim();
            if (valid.Count == 0)
            {
                uncited.Add(bare);
            }
            else if (support is not null && !valid.Any(l => support.Supports(bare, Core.Documents.ModelText.Of(byLabel[l].Chunk.Chunk))))
            {
                unsupported.Add(bare);
            }

            // Each citing sentence gets its own quote: two sentences citing one passage usually quote two places in it.
            foreach (var citation in valid.Distinct().Select(label => Cite(byLabel[label], sentence)))
            {
                if (!cited.Any(c => c.Label == citation.Label && c.Start == citation.Start))
                {
                    cited.Add(citation);
                }
            }
        }

        // A marker removed whole takes the space before it along, so "in 3.6.19 [9]." becomes "in 3.6.19." not "3.6.19 .".
        var repaired = invalid.Count == 0 ? answer : SpacedMarkers().Replace(answer, m =>
        {
            var kept = Numbers(m.Groups[2].Value).Where(byLabel.ContainsKey).ToList();
            return kept.Count == 0 ? "" : $"{m.Groups[1].Value}[{string.Join(", ", kept)}]";
        });
        return new CitationReport(repaired, [.. cited.OrderBy(c => c.Label).ThenBy(c => c.Start)], [.. invalid], uncited.Where(s => s.Length > 0).ToList(), unsupported);
    }

    private static Citation Cite(ContextPassage passage, string sentence)
    {
        // The quote is the passage sentence sharing the most words with the citing sentence; its span is where that
        // sentence sits in the chunk's own text (line breaks and all), so a span shown from the document is the quote.
        var words = Words(sentence);
        var chunk = passage.Chunk.Chunk;
        var spans = SentenceSpans(chunk.Text);
        var best = spans.Count == 0 ? new SentenceSpan(0, chunk.Text.Length, chunk.Text) : spans.MaxBy(s => Words(s.Text).Count(words.Contains));
        return new Citation(
            passage.Label, chunk.Id, chunk.DocumentId, chunk.Source, chunk.Start + best.Start, chunk.Start + best.End, best.Text, chunk.HeadingPath, chunk.Page);
    }

    /// <summary>Each sentence of an answer with the passage labels its markers name (valid or not).</summary>
    public static IEnumerable<(string Sentence, IReadOnlyList<int> Labels)> SentenceLabels(string answer) =>
        Sentences(answer).Select(s => (s, (IReadOnlyList<int>)[.. Markers().Matches(s).SelectMany(m => Numbers(m.Value))]));

    /// <summary>The text without its [n] markers (to compare an answer's words with a reference).</summary>
    public static string RemoveMarkers(string text) => Markers().Replace(text, "");

    /// <summary>
    /// Sentences of a text: split after ., ! or ? and any citation markers that follow (with or without a space
    /// before them) where whitespace follows, at blank lines, and before and after heading lines (#); a single line
    /// break inside a paragraph is only wrapping. Whitespace inside a sentence becomes single spaces. A hand-written
    /// scanner: it runs for every passage of every answer, and a regular expression with look-behinds took a third
    /// of an extractive answer's time.
    /// </summary>
    public static IReadOnlyList<string> Sentences(string text) => [.. SentenceSpans(text).Select(s => s.Text)];

    /// <summary>The sentences of <see cref="Sentences"/> with where each sits in the text (whitespace around it left out).</summary>
    public static IReadOnlyList<SentenceSpan> SentenceSpans(string text)
    {
        var sentences = new List<SentenceSpan>();
        var start = 0;
        var i = 0;
        while (i < text.Length)
        {
            var end = BoundaryEnd(text, i);
            if (end < 0)
            {
                i++;
                continue;
            }

            AddNormalised(sentences, text, start, i);
            start = i = end;
        }

        AddNormalised(sentences, text, start, text.Length);
        return sentences;
    }

    /// <summary>Where the separator starting at <paramref name="i"/> ends, or -1 when no sentence boundary starts there.</summary>
    private static int BoundaryEnd(string text, int i)
    {
        // Markers written after the punctuation ("... in 1998. [2] Next") still belong to the sentence they close.
        if (char.IsWhiteSpace(text[i]) && EndsSentence(text, i) && SkipWhitespace(text, i) is var after && !MarkerAt(text, after))
        {
            return after;
        }

        if (text[i] != '\n')
        {
            return -1;
        }

        var next = SkipSpacesAndTabs(text, i + 1);
        if (next < text.Length && text[next] == '\n')
        {
            return SkipWhitespace(text, next + 1); // a blank line
        }

        if (next < text.Length && text[next] == '#')
        {
            return i + 1; // the next line is a heading
        }

        var lineStart = text.LastIndexOf('\n', Math.Max(0, i - 1), i) + 1;
        var first = SkipSpacesAndTabs(text, lineStart);
        return first < i && text[first] == '#' ? i + 1 : -1; // this line is a heading
    }

    /// <summary>Whether the text before <paramref name="end"/> is a sentence end: ., ! or ? then any number of [n] / [n, m] markers.</summary>
    private static bool EndsSentence(string text, int end)
    {
        var k = end - 1;
        while (k >= 0)
        {
            if (text[k] is '.' or '!' or '?')
            {
                return true;
            }

            if (text[k] != ']' || MarkerStart(text, k) is not (>= 0 and var open))
            {
                return false;
            }

            k = SkipWhitespaceBack(text, open - 1);
        }

        return false;
    }

    /// <summary>The index of the '[' of a marker "[ 1 , 2 ]" whose ']' is at <paramref name="close"/>, or -1.</summary>
    private static int MarkerStart(string text, int close)
    {
        var k = SkipWhitespaceBack(text, close - 1);
        while (true)
        {
            if (k < 0 || !char.IsDigit(text[k]))
            {
                return -1;
            }

            while (k >= 0 && char.IsDigit(text[k]))
            {
                k--;
            }

            k = SkipWhitespaceBack(text, k);
            if (k < 0 || text[k] != ',')
            {
                return k >= 0 && text[k] == '[' ? k : -1;
            }

            k = SkipWhitespaceBack(text, k - 1);
        }
    }

    /// <summary>Whether a marker "[1]" / "[ 1, 2 ]" starts at <paramref name="i"/>.</summary>
    private static bool MarkerAt(string text, int i)
    {
        if (i >= text.Length || text[i] != '[')
        {
            return false;
        }

        var k = i + 1;
        while (true)
        {
            k = SkipWhitespace(text, k);
            if (k >= text.Length || !char.IsDigit(text[k]))
            {
                return false;
            }

            while (k < text.Length && char.IsDigit(text[k]))
            {
                k++;
            }

            k = SkipWhitespace(text, k);
            if (k < text.Length && text[k] == ']')
            {
                return true;
            }

            if (k >= text.Length || text[k] != ',')
            {
                return false;
            }

            k++;
        }
    }

    private static int SkipWhitespace(string text, int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
        {
            i++;
        }

        return i;
    }

    private static int SkipSpacesAndTabs(string text, int i)
    {
        while (i < text.Length && text[i] is ' ' or '\t')
        {
            i++;
        }

        return i;
    }

    private static int SkipWhitespaceBack(string text, int k)
    {
        while (k >= 0 && char.IsWhiteSpace(text[k]))
        {
            k--;
        }

        return k;
    }

    private static void AddNormalised(List<SentenceSpan> sentences, string text, int start, int end)
    {
        while (start < end && char.IsWhiteSpace(text[start]))
        {
            start++;
        }

        while (end > start && char.IsWhiteSpace(text[end - 1]))
        {
            end--;
        }

        if (start == end)
        {
            return;
        }

        var builder = new System.Text.StringBuilder(end - start);
        var pendingSpace = false;
        foreach (var c in text.AsSpan(start, end - start))
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = true;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(c);
        }

        sentences.Add(new SentenceSpan(start, end, builder.ToString()));
    }

    private static HashSet<string> Words(string text) =>
        WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value).Where(w => w.Length > 2).ToHashSet(StringComparer.Ordinal);

    private static IEnumerable<int> Numbers(string marker) =>
        NumberPattern().Matches(marker).Select(m => int.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>[1], [1, 2], [1][2] (each bracket is one match).</summary>
    [GeneratedRegex(@"\[\s*\d+(?:\s*,\s*\d+)*\s*\]")]
    private static partial Regex Markers();

    [GeneratedRegex(@"([ \t]*)(\[\s*\d+(?:\s*,\s*\d+)*\s*\])")]
    private static partial Regex SpacedMarkers();

    [GeneratedRegex(@"\d+")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex WordPattern();
}
