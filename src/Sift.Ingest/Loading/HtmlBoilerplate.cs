using AngleSharp.Dom;
using Sift.Core.Stages;

namespace Sift.Ingest.Loading;

/// <summary>
/// What a site repeats around its content, learned from one ingest's pages: a block (an element that lays out as a
/// block, headings excepted, of at least <see cref="MinWords"/> words) whose text recurs in at least half of the pages
/// of its folder (among at least <see cref="MinPages"/> pages; up to <see cref="SamplePages"/> sampled) is a site header,
/// footer or menu and is dropped from every page of that folder. Link-dense elements (more than <see cref="DenseLinks"/>
/// links holding over 60% of the element's text: menus, tables of contents, "see also" lists) are dropped from any page.
/// </summary>
internal sealed class HtmlBoilerplate
{
    public const int MinPages = 6;
    public const int SamplePages = 200;
    public const int MinWords = 3;
    public const int DenseLinks = 5;
    private const double DenseShare = 0.6;

    private readonly Dictionary<string, HashSet<string>> _byFolder;

    private HtmlBoilerplate(Dictionary<string, HashSet<string>> byFolder) => _byFolder = byFolder;

    public static HtmlBoilerplate Learn(IReadOnlyList<string> files)
    {
        var byFolder = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var folder in files.GroupBy(f => Path.GetDirectoryName(f) ?? "", StringComparer.Ordinal))
        {
            var pages = folder.ToList();
            if (pages.Count < MinPages)
            {
                continue;
            }

            // An even sample bounds the cost of learning on large folders.
            var step = Math.Max(1, pages.Count / SamplePages);
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            var read = 0;
            foreach (var page in pages.Where((_, i) => i % step == 0).Take(SamplePages))
            {
                if (BlocksOf(page) is not { } blocks)
                {
                    continue;
                }

                read++;
                foreach (var block in blocks)
                {
                    counts[block] = counts.GetValueOrDefault(block) + 1;
                }
            }

            var repeated = counts.Where(c => c.Value * 2 >= read && c.Value >= 3).Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
            if (read >= MinPages && repeated.Count > 0)
            {
                byFolder[folder.Key] = repeated;
            }
        }

        return new HtmlBoilerplate(byFolder);
    }

    /// <summary>Removes the folder's repeated blocks from <paramref name="body"/> and returns their texts.</summary>
    public List<string> Remove(string path, IElement body)
    {
        var removed = new List<string>();
        if (_byFolder.TryGetValue(Path.GetDirectoryName(path) ?? "", out var repeated))
        {
            RemoveRepeated(body, repeated, removed);
        }

        return removed;
    }

    /// <summary>
    /// Removes link-dense blocks innermost first, so that a page title sharing a wrapper with a table of contents stays
    /// when the table goes.
    /// </summary>
    public static void RemoveLinkDense(IElement parent)
    {
        foreach (var child in parent.Children.ToList())
        {
            RemoveLinkDense(child);
            if (child.LocalName != "pre" && IsLinkDense(child))
            {
                child.Remove();
            }
        }
    }

    private static bool IsLinkDense(IElement element)
    {
        var links = element.QuerySelectorAll("a");
        if (links.Length <= DenseLinks)
        {
            return false;
        }

        var total = HtmlLoader.Collapse(element.TextContent).Length;
        var linked = links.Sum(a => HtmlLoader.Collapse(a.TextContent).Length);
        return total > 0 && linked > DenseShare * total;
    }

    private static void RemoveRepeated(IElement parent, HashSet<string> repeated, List<string> removed)
    {
        foreach (var child in parent.Children.ToList())
        {
            if (Fingerprint(child) is { } text && repeated.Contains(text))
            {
                child.Remove();
                removed.Add(text);
            }
            else
            {
                RemoveRepeated(child, repeated, removed);
            }
        }
    }

    private static HashSet<string>? BlocksOf(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            if (FileText.Decode(bytes, path, new LoadProblems(skipBadRecords: true)) is not { } html
                || HtmlLoader.Clean(html, path).Body is not { } body)
            {
                return null;
            }

            return body.Descendants<IElement>().Select(Fingerprint).OfType<string>().ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Learning only skips a page it cannot read; loading that page reports why.
            return null;
        }
    }

    /// <summary>The block's text when it is a candidate: a block element other than a heading, of enough words.</summary>
    private static string? Fingerprint(IElement element)
    {
        if (!HtmlLoader.IsBlock(element.LocalName) || element.LocalName is "br" or "hr" || HtmlLoader.HeadingLevel(element.LocalName) > 0)
        {
            return null;
        }

        var text = HtmlLoader.Collapse(element.TextContent);
        return text.Count(c => c == ' ') + 1 >= MinWords ? text : null;
    }
}
