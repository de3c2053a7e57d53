using Sift.Core.Documents;

namespace Sift.Ingest.Loading;

/// <summary>
/// The sections of a document's text as a loader meets its headings: each heading closes the section before it and
/// opens one whose heading path is the headings still open above it (those of a lower level) plus itself.
/// </summary>
internal sealed class SectionOutline
{
    private readonly List<(int Level, string Title)> _open = [];
    private readonly List<DocumentSection> _sections = [];
    private int _start;

    /// <summary>The first heading met, a title for a document that declares none.</summary>
    public string? FirstHeading { get; private set; }

    /// <param name="at">Where the heading's section starts in the text.</param>
    public void Heading(int level, string title, int at)
    {
        if (at > _start)
        {
            _sections.Add(new DocumentSection(_start, at, Path(), null));
        }

        _open.RemoveAll(h => h.Level >= level);
        _open.Add((level, title));
        FirstHeading ??= title;
        _start = at;
    }

    /// <summary>The sections, the last one ending at <paramref name="end"/> (a document without text still has one).</summary>
    public IReadOnlyList<DocumentSection> Finish(int end)
    {
        if (end > _start || _sections.Count == 0)
        {
            _sections.Add(new DocumentSection(_start, end, Path(), null));
        }

        return _sections;
    }

    private string[] Path() => [.. _open.Select(h => h.Title)];
}
