using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Sift.Core.Documents;
using Sift.Core.Stages;

namespace Sift.Ingest.Loading;

/// <summary>
/// HTML: visible text only. Scripts, styles, navigation, form controls and hidden elements are dropped, and so are link-dense blocks (menus, tables of
/// contents) and, in an ingest of a folder, the blocks its pages repeat (site headers and footers; see
/// <see cref="HtmlBoilerplate"/>); block elements become line breaks; headings open sections with their heading path.
/// </summary>
public sealed class HtmlLoader : IDocumentLoader
{
    private const string Dropped =
        "script, style, noscript, template, nav, iframe, svg, button, select, [hidden], [role=navigation], [aria-hidden=true]";

    private static readonly HashSet<string> BlockElements = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "div", "section", "article", "main", "header", "footer", "aside", "li", "ul", "ol", "dl", "dt", "dd",
        "table", "tr", "td", "th", "blockquote", "pre", "br", "hr", "figure", "figcaption", "h1", "h2", "h3", "h4",
        "h5", "h6",
    };

    private readonly HtmlBoilerplate? _site;

    public HtmlLoader()
    {
    }

    private HtmlLoader(HtmlBoilerplate site) => _site = site;

    public IReadOnlyList<string> Extensions { get; } = [".html", ".htm"];

    /// <summary>A loader that also drops the blocks repeated across the pages of each folder among <paramref name="files"/>.</summary>
    public IDocumentLoader ForRun(IReadOnlyList<string> files) => new HtmlLoader(HtmlBoilerplate.Learn(files));

    public IEnumerable<SourceDocument> Load(string path, string documentId, LoadProblems problems)
    {
        var bytes = File.ReadAllBytes(path);
        if (FileText.Decode(bytes, path, problems) is not { } html)
        {
            yield break;
        }

        var document = Clean(html, path);
        var walker = new TextWalker();
        List<string> removed = [];
        if (document.Body is { } body)
        {
            removed = _site?.Remove(path, body) ?? [];
            walker.Walk(body);
        }

        var text = walker.Finish();
        var title = document.Title?.Trim() is { Length: > 0 } t ? t : walker.FirstHeading ?? Path.GetFileNameWithoutExtension(path);
        var loaded = FileText.Document(path, documentId, title, text, bytes, "html", walker.Sections);

        // What was removed depends on the other pages too: a change there must reach this page's stored chunks.
        yield return removed.Count == 0 ? loaded : loaded with { ContentHash = ContentHash.Of([loaded.ContentHash, .. removed]) };
    }

    /// <summary>The parsed page without what is never content: scripts, styles, navigation, link-dense blocks.</summary>
    internal static IHtmlDocument Clean(string html, string path)
    {
        HtmlNesting.Check(html, path);
        var document = new HtmlParser().ParseDocument(html);
        HtmlNesting.CheckTree(document, path);
        foreach (var element in document.QuerySelectorAll(Dropped).ToList())
        {
            element.Remove();
        }

        if (document.Body is { } body)
        {
            HtmlBoilerplate.RemoveLinkDense(body);
        }

        return document;
    }

    internal static bool IsBlock(string localName) => BlockElements.Contains(localName);

    internal static int HeadingLevel(string name) =>
        name.Length == 2 && name[0] == 'h' && name[1] is >= '1' and <= '6' ? name[1] - '0' : 0;

    internal static string Collapse(string value) =>
        string.Join(' ', value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private sealed class TextWalker
    {
        private readonly StringBuilder _text = new();
        private readonly SectionOutline _outline = new();

        public IReadOnlyList<DocumentSection> Sections { get; private set; } = [];

        public string? FirstHeading => _outline.FirstHeading;

        public void Walk(INode node)
        {
            foreach (var child in node.ChildNodes)
            {
                if (child is IText textNode)
                {
                    AppendCollapsed(textNode.Data);
                }
                else if (child is IElement element)
                {
                    var level = HeadingLevel(element.LocalName);
                    if (level > 0)
                    {
                        StartHeading(level, Collapse(element.TextContent));
                    }

                    var block = BlockElements.Contains(element.LocalName);
                    if (block)
                    {
                        NewLine();
                    }

                    if (element.LocalName == "pre")
                    {
                        _text.Append(element.TextContent);
                    }
                    else
                    {
                        Walk(element);
                    }

                    if (block)
                    {
                        NewLine();
                    }
                }
            }
        }

        public string Finish()
        {
            Sections = _outline.Finish(_text.Length);
            return _text.ToString();
        }

        private void StartHeading(int level, string title)
        {
            NewLine();
            _outline.Heading(level, title, _text.Length);
        }

        private void AppendCollapsed(string data)
        {
            var collapsed = Collapse(data);
            if (collapsed.Length == 0)
            {
                // Whitespace between inline elements ("<a>alpha</a> <a>beta</a>") separates their words.
                if (data.Length > 0 && _text.Length > 0 && !char.IsWhiteSpace(_text[^1]))
                {
                    _text.Append(' ');
                }

                return;
            }

            var needsSpace = _text.Length > 0 && !char.IsWhiteSpace(_text[^1]) && char.IsWhiteSpace(data[0]);
            if (needsSpace)
            {
                _text.Append(' ');
            }

            _text.Append(collapsed);
            if (char.IsWhiteSpace(data[^1]))
            {
                _text.Append(' ');
            }
        }

        private void NewLine()
        {
            while (_text.Length > 0 && _text[^1] == ' ')
            {
                _text.Length--;
            }

            if (_text.Length > 0 && _text[^1] != '\n')
            {
                _text.Append('\n');
            }
        }
    }
}
