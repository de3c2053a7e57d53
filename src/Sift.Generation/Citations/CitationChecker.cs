using System.Text.RegularExpressions;
using Sift.Generation.Context;

namespace Sift.Generation.Citations;

/// <summary>A checked citation: the passage a sentence cites and the span of it that best supports the sentence.</summary>
public sealed record Citation(int Label, long ChunkId, string DocumentId, string Source, int Start, int End, string Quote);

/// <param name="InvalidMarkers">Markers pointing at no passage of the context (removed from the repaired text).</param>
/// <param name="UncitedSentences">Sentences of the answer that cite nothing.</param>
public sealed record CitationReport(string RepairedAnswer, IReadOnlyList<Citation> Citations, IReadOnlyList<int> InvalidMarkers, IReadOnlyList<string> UncitedSentences)
{
    public bool IsClean => InvalidMarkers.Count == 0 && UncitedSentences.Count == 0;
}

/// <summary>
/// Checks an answer's [n] markers against the context it was given: every marker must name a passage that was in the
/// context (others are removed and reported, never passed on silently), and sentences without a marker are flagged.
/// </summary>
public sealed partial class CitationChecker
{
    public CitationReport Check(string answer, AssembledContext context)
    {
        var byLabel = context.Passages.ToDictionary(p => p.Label);
        var invalid = new SortedSet<int>();
        var cited = new SortedDictionary<int, Citation>();
        var uncited = new List<string>();
        foreach (var (sentence, labels) in SentenceLabels(answer))
        {
            var valid = labels.Where(byLabel.ContainsKey).ToList();
            invalid.UnionWith(labels.Where(l => !byLabel.ContainsKey(l)));
            if (valid.Count == 0)
            {
                uncited.Add(Markers().Replace(sentence, "").Trim());
            }

            foreach (var label in valid.Where(l => !cited.ContainsKey(l)))
            {
                cited[label] = Cite(byLabel[label], sentence);
            }
        }

        var repaired = invalid.Count == 0 ? answer : Markers().Replace(answer, m =>
        {
            var kept = Numbers(m.Value).Where(byLabel.ContainsKey).ToList();
            return kept.Count == 0 ? "" : $"[{string.Join(", ", kept)}]";
        });
        return new CitationReport(repaired, [.. cited.Values], [.. invalid], uncited.Where(s => s.Length > 0).ToList());
    }

    private static Citation Cite(ContextPassage passage, string sentence)
    {
        // The quote is the passage sentence sharing the most words with the citing sentence.
        var words = Words(sentence);
        var chunk = passage.Chunk.Chunk;
        var best = Sentences(chunk.Text).Select(s => (Text: s, Overlap: Words(s).Count(words.Contains))).MaxBy(s => s.Overlap);
        var quote = best.Text ?? chunk.Text;
        var offset = Math.Max(0, chunk.Text.IndexOf(quote, StringComparison.Ordinal));
        return new Citation(passage.Label, chunk.Id, chunk.DocumentId, chunk.Source, chunk.Start + offset, chunk.Start + offset + quote.Length, quote);
    }

    /// <summary>Each sentence of an answer with the passage labels its markers name (valid or not).</summary>
    public static IEnumerable<(string Sentence, IReadOnlyList<int> Labels)> SentenceLabels(string answer) =>
        Sentences(answer).Select(s => (s, (IReadOnlyList<int>)[.. Markers().Matches(s).SelectMany(m => Numbers(m.Value))]));

    /// <summary>The text without its [n] markers (to compare an answer's words with a reference).</summary>
    public static string RemoveMarkers(string text) => Markers().Replace(text, "");

    /// <summary>
    /// Sentences of a text: split after ., ! or ? (and any citation markers that follow) and at blank lines and
    /// headings; a single line break inside a paragraph is only wrapping.
    /// </summary>
    public static IEnumerable<string> Sentences(string text) =>
        SentenceBoundary().Split(text)
            .Select(s => string.Join(' ', s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)))
            .Where(s => s.Length > 0);

    private static HashSet<string> Words(string text) =>
        WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value).Where(w => w.Length > 2).ToHashSet(StringComparer.Ordinal);

    private static IEnumerable<int> Numbers(string marker) =>
        NumberPattern().Matches(marker).Select(m => int.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>[1], [1, 2], [1][2] (each bracket is one match).</summary>
    [GeneratedRegex(@"\[\s*\d+(?:\s*,\s*\d+)*\s*\]")]
    private static partial Regex Markers();

    [GeneratedRegex(@"\d+")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"(?<=[.!?](?:\s*\[\s*\d+(?:\s*,\s*\d+)*\s*\])*)\s+|\n[ \t]*\n\s*|\n(?=[ \t]*#)|(?<=^[ \t]*#[^\n]*)\n", RegexOptions.Multiline)]
    private static partial Regex SentenceBoundary();

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex WordPattern();
}
