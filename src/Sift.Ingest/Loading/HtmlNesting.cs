using Sift.Core;

namespace Sift.Ingest.Loading;

/// <summary>
/// A bound on how deeply an HTML file nests elements, checked by a cheap scan before parsing. An HTML5 tree builder
/// looks through the stack of open elements for each start tag, so parsing costs depth squared: 100,000 nested
/// &lt;div&gt; (1.1 MB) would take minutes. Browsers cap the tree depth for the same reason (Blink at 512); real pages
/// stay far below the limit.
/// </summary>
internal static class HtmlNesting
{
    public const int MaxDepth = 1000;

    // Elements that never nest (void) or that the parser closes by itself when a sibling opens: not counted.
    private static readonly HashSet<string> NotNesting = new(StringComparer.OrdinalIgnoreCase)
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
        "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "rb", "rt", "rp", "thead", "tbody", "tfoot",
        "colgroup", "caption", "html", "head", "body", "!doctype",
    };

    // Elements whose content is text, not markup.
    private static readonly HashSet<string> RawText = ["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext", "noscript"];

    // Elements that bound the tree builder's "in scope" search: an end tag does not reach past them.
    private static readonly HashSet<string> ScopeBoundaries = ["applet", "caption", "html", "table", "td", "th", "marquee", "object", "template"];

    /// <summary>
    /// Throws when the parsed tree is deeper than <see cref="MaxDepth"/>: the scan before parsing follows the tree
    /// builder's main rules, and this check (without recursion) makes sure no tree that slipped past it reaches code
    /// that walks the tree recursively.
    /// </summary>
    public static void CheckTree(AngleSharp.Dom.INode root, string path)
    {
        var pending = new Stack<(AngleSharp.Dom.INode Node, int Depth)>([(root, 0)]);
        while (pending.Count > 0)
        {
            var (node, depth) = pending.Pop();
            if (depth > MaxDepth + 8)
            {
                throw new SiftException($"{path}: elements nest deeper than {MaxDepth} levels; such a file is refused");
            }

            foreach (var child in node.ChildNodes)
            {
                pending.Push((child, depth + 1));
            }
        }
    }

    /// <summary>
    /// Throws when the markup nests deeper than <see cref="MaxDepth"/>, naming where. Open elements are tracked as the
    /// tree builder tracks them: "/&gt;" closes nothing but a void element, and an end tag closes the innermost open
    /// element of its name (and everything inside it) or, when none is open, nothing.
    /// </summary>
    public static void Check(string html, string path)
    {
        var open = new List<string>();
        var i = 0;
        while ((i = html.IndexOf('<', i)) >= 0 && i + 1 < html.Length)
        {
            if (string.CompareOrdinal(html, i, "<!--", 0, 4) == 0)
            {
                i = html.IndexOf("-->", i + 4, StringComparison.Ordinal) is var end and >= 0 ? end + 3 : html.Length;
                continue;
            }

            var closing = html[i + 1] == '/';
            var start = closing ? i + 2 : i + 1;
            var nameEnd = start;
            while (nameEnd < html.Length && (char.IsAsciiLetterOrDigit(html[nameEnd]) || html[nameEnd] is '-' or '!'))
            {
                nameEnd++;
            }

            var tagEnd = html.IndexOf('>', nameEnd);
            if (nameEnd == start || tagEnd < 0)
            {
                i++;
                continue;
            }

            var name = html[start..nameEnd].ToLowerInvariant();
            if (!closing && RawText.Contains(name))
            {
                // Raw text: its content is not markup.
                var close = html.IndexOf($"</{name}", tagEnd, StringComparison.OrdinalIgnoreCase);
                i = close < 0 ? html.Length : close;
                continue;
            }

            if (!NotNesting.Contains(name))
            {
                if (!closing)
                {
                    open.Add(name);
                    if (open.Count > MaxDepth)
                    {
                        throw new SiftException($"{path}: elements nest deeper than {MaxDepth} levels (at character {i}); such a file is refused rather than parsed");
                    }
                }
                else if (open.FindLastIndex(o => o == name) is var match and >= 0
                    && !open.Skip(match + 1).Any(ScopeBoundaries.Contains))
                {
                    // An end tag reaches its element only when no scope boundary (a table, a cell, an object) is in
                    // between; the tree builder ignores it otherwise, so the scan does too.
                    open.RemoveRange(match, open.Count - match);
                }
            }

            i = tagEnd + 1;
        }
    }
}
