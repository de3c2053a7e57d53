namespace Sift.Core.Documents;

/// <summary>A chunk as a collection holds it: with its store id and its document's title and source, everything a result or a citation shows.</summary>
public sealed record StoredChunk(
    long Id,
    string DocumentId,
    string Source,
    string Title,
    string Text,
    int Start,
    int End,
    IReadOnlyList<string> HeadingPath,
    int? Page);

/// <summary>How a model sees a chunk: its document's title, then its text.</summary>
public static class ModelText
{
    public static string Of(string title, string text) => title.Length == 0 ? text : $"{title}\n{text}";

    public static string Of(StoredChunk chunk) => Of(chunk.Title, chunk.Text);
}

/// <summary>Spans of a document's extracted text, as citations name them.</summary>
public static class DocumentSpans
{
    /// <summary>The text of [start, end) from the chunk that holds it whole, with that chunk; null when no chunk does.</summary>
    public static (string Text, StoredChunk Chunk)? TextOf(IReadOnlyList<StoredChunk> chunks, int start, int end) =>
        start >= 0 && end > start && chunks.FirstOrDefault(c => c.Start <= start && end <= c.End) is { } chunk
            ? (chunk.Text[(start - chunk.Start)..(end - chunk.Start)], chunk)
            : null;
}
