namespace Sift.Core.Documents;

/// <summary>A retrievable unit: a span of one document's text with where it came from.</summary>
/// <param name="Start">Offset of the first character in the document's text.</param>
/// <param name="End">Offset one past the last character.</param>
/// <param name="ContentHash">Hash of <paramref name="Text"/>, so identical chunks can be recognised across versions.</param>
public sealed record Chunk(
    string DocumentId,
    int Ordinal,
    string Text,
    int Start,
    int End,
    IReadOnlyList<string> HeadingPath,
    int? Page,
    string ContentHash);
