namespace Sift.Core.Documents;

/// <summary>
/// A document as a loader produced it: plain text plus the structure the chunkers respect.
/// </summary>
/// <param name="Id">Stable id within a collection (relative path for files, <c>_id</c> for JSONL records).</param>
/// <param name="Source">Where it came from (absolute file path); used by prune to find documents whose file is gone.</param>
/// <param name="ContentHash">Hash of the raw source content; unchanged hash means re-ingest has nothing to do.</param>
/// <param name="Sections">Spans of <paramref name="Text"/> with their heading path or page; never overlapping, in order.</param>
public sealed record SourceDocument(
    string Id,
    string Source,
    string Title,
    string Text,
    string ContentHash,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<DocumentSection> Sections)
{
    /// <summary>The section that contains character <paramref name="offset"/>, or null when the loader gave none.</summary>
    public DocumentSection? SectionAt(int offset)
    {
        DocumentSection? found = null;
        foreach (var section in Sections)
        {
            if (section.Start > offset)
            {
                break;
            }

            found = section;
        }

        return found;
    }
}

/// <summary>A span of a document's text under one heading path (Markdown, HTML) or on one page (PDF).</summary>
public sealed record DocumentSection(int Start, int End, IReadOnlyList<string> HeadingPath, int? Page);
