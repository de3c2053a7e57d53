using Sift.Core.Documents;

namespace Sift.Ingest.Chunking;

/// <summary>Makes chunks from spans of a document, trimming whitespace and attaching heading path and page.</summary>
internal static class ChunkBuilder
{
    public static IReadOnlyList<Chunk> FromSpans(SourceDocument document, IEnumerable<(int Start, int End)> spans)
    {
        var chunks = new List<Chunk>();
        foreach (var (rawStart, rawEnd) in spans)
        {
            var (start, end) = Trim(document.Text, rawStart, rawEnd);
            if (end > start)
            {
                chunks.Add(Make(document, chunks.Count, start, end));
            }
        }

        return chunks;
    }

    public static Chunk Make(SourceDocument document, int ordinal, int start, int end)
    {
        var text = document.Text[start..end];
        var section = document.SectionAt(start);
        return new Chunk(
            document.Id, ordinal, text, start, end, section?.HeadingPath ?? [], section?.Page, ContentHash.Of(text));
    }

    private static (int Start, int End) Trim(string text, int start, int end)
    {
        while (start < end && char.IsWhiteSpace(text[start]))
        {
            start++;
        }

        while (end > start && char.IsWhiteSpace(text[end - 1]))
        {
            end--;
        }

        return (start, end);
    }
}
