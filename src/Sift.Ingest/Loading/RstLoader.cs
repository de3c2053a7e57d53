using Sift.Core.Documents;
using Sift.Core.Stages;

namespace Sift.Ingest.Loading;

/// <summary>
/// reStructuredText: the text is kept as written (offsets point into the file) and every section title opens a section
/// with its heading path, as in <see cref="MarkdownLoader"/>. A title is a line underlined, and optionally overlined, by
/// one punctuation character repeated; as in docutils, title levels follow the order in which adornment styles first
/// appear (an overlined style differs from the same character underlined only).
/// </summary>
public sealed class RstLoader : IDocumentLoader
{
    private const string AdornmentCharacters = "=-`:'\"~^_*+#<>";

    public IReadOnlyList<string> Extensions { get; } = [".rst", ".rest"];

    public IEnumerable<SourceDocument> Load(string path, string documentId, LoadProblems problems)
    {
        var bytes = File.ReadAllBytes(path);
        if (FileText.Decode(bytes, path, problems) is not { } text)
        {
            return [];
        }

        var lines = Lines(text);
        var styles = new List<(char Character, bool Overlined)>();
        var outline = new SectionOutline();
        for (var i = 0; i + 1 < lines.Count; i++)
        {
            if (Title(text, lines, i) is not { } found)
            {
                continue;
            }

            var style = (found.Character, found.Overlined);
            if (!styles.Contains(style))
            {
                styles.Add(style);
            }

            var level = styles.IndexOf(style);
            outline.Heading(level, found.Text, lines[found.Overlined ? i - 1 : i].Start);
            i++; // the underline
        }

        var sections = outline.Finish(text.Length);
        return [FileText.Document(
            path, documentId, outline.FirstHeading ?? Path.GetFileNameWithoutExtension(path), text, bytes, "rst", sections)];
    }

    /// <summary>
    /// The title whose text is on line <paramref name="i"/>: underlined by the next line, after a blank line, the start
    /// of the file, or an overline of the same character. As in docutils, an underline shorter than the title counts
    /// only from four characters on.
    /// </summary>
    private static (string Text, char Character, bool Overlined)? Title(string text, List<(int Start, int End)> lines, int i)
    {
        var line = Slice(text, lines[i]);
        var titleText = line.Trim();
        if (titleText.Length == 0 || Adornment(line) is not null && titleText.Length == line.Length)
        {
            return null;
        }

        var underline = Slice(text, lines[i + 1]).TrimEnd();
        if (Adornment(underline) is not { } character || (underline.Length < titleText.Length && underline.Length < 4))
        {
            return null;
        }

        var before = i > 0 ? Slice(text, lines[i - 1]).TrimEnd() : "";
        var overlined = before.Length > 0 && Adornment(before) == character;
        if (before.Length > 0 && !overlined)
        {
            return null;
        }

        // Only an overlined title may be indented; an indented line over "----" is block content.
        return overlined || !char.IsWhiteSpace(line[0]) ? (titleText, character, overlined) : null;
    }

    private static char? Adornment(string line) =>
        line.Length >= 2 && AdornmentCharacters.Contains(line[0], StringComparison.Ordinal) && line.All(c => c == line[0])
            ? line[0]
            : null;

    private static string Slice(string text, (int Start, int End) line) => text[line.Start..line.End].TrimEnd('\r');

    /// <summary>Each line's span, without its line break.</summary>
    private static List<(int Start, int End)> Lines(string text)
    {
        var lines = new List<(int, int)>();
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == '\n')
            {
                lines.Add((start, i));
                start = i + 1;
            }
        }

        return lines;
    }
}
