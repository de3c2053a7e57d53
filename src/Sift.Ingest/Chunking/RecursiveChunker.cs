using System.Text.RegularExpressions;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Stages;

namespace Sift.Ingest.Chunking;

/// <summary>
/// Splits along the document's own structure: sections (headings, pages), then paragraphs, then sentences, then words,
/// going one level finer only where a piece is still over <c>size</c> words; then merges neighbouring pieces of the
/// same section back together while they fit.
/// </summary>
public sealed partial class RecursiveChunker : IChunker
{
    private static readonly Regex[] Separators = [Paragraph(), Sentence()];
    private readonly int _size;

    public RecursiveChunker(int size)
    {
        if (size < 1)
        {
            throw new SiftException($"chunk size must be at least 1 (got {size})");
        }

        _size = size;
    }

    public string Fingerprint => $"recursive(size={_size})";

    public IReadOnlyList<Chunk> Split(SourceDocument document)
    {
        var words = new WordSpans(document.Text);
        IEnumerable<DocumentSection> sections = document.Sections.Count > 0
            ? document.Sections
            : [new DocumentSection(0, document.Text.Length, [], null)];

        var spans = new List<(int, int)>();
        foreach (var section in sections)
        {
            var pieces = new List<(int Start, int End)>();
            SplitSpan(document.Text, words, section.Start, section.End, 0, pieces);
            spans.AddRange(Merge(words, pieces));
        }

        return ChunkBuilder.FromSpans(document, spans);
    }

    private void SplitSpan(string text, WordSpans words, int start, int end, int level, List<(int, int)> output)
    {
        if (words.CountIn(start, end) <= _size)
        {
            output.Add((start, end));
            return;
        }

        if (level == Separators.Length)
        {
            SplitByWords(words, start, end, output);
            return;
        }

        // Separators are found in place (no substring, no Match objects): large files stay in bounded memory.
        var cuts = new List<int>();
        foreach (var separator in Separators[level].EnumerateMatches(text.AsSpan(start, end - start)))
        {
            cuts.Add(start + separator.Index + separator.Length);
        }

        var cut = start;
        foreach (var at in cuts)
        {
            SplitSpan(text, words, cut, at, level + 1, output);
            cut = at;
        }

        SplitSpan(text, words, cut, end, level + 1, output);
    }

    private void SplitByWords(WordSpans words, int start, int end, List<(int, int)> output)
    {
        var first = words.FirstAtOrAfter(start);
        var stop = words.FirstAtOrAfter(end);
        for (; first < stop; first += _size)
        {
            var last = Math.Min(first + _size, stop) - 1;
            output.Add((words.Start(first), words.End(last)));
        }
    }

    private List<(int, int)> Merge(WordSpans words, List<(int Start, int End)> pieces)
    {
        var merged = new List<(int, int)>();
        if (pieces.Count == 0)
        {
            return merged;
        }

        var current = pieces[0];
        foreach (var next in pieces.Skip(1))
        {
            if (words.CountIn(current.Start, next.End) <= _size)
            {
                current = (current.Start, next.End);
            }
            else
            {
                merged.Add(current);
                current = next;
            }
        }

        merged.Add(current);
        return merged;
    }

    [GeneratedRegex(@"\n[ \t]*\n\s*")]
    private static partial Regex Paragraph();

    [GeneratedRegex(@"(?<=[.!?][""')\]]?)\s+(?=[\p{Lu}\p{N}""'(\[])")]
    private static partial Regex Sentence();
}
