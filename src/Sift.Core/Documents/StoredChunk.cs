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
