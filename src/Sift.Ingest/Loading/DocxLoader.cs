using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Stages;

namespace Sift.Ingest.Loading;

/// <summary>
/// Word (.docx): the body's paragraphs in order, a blank line between them; paragraphs styled Title or Heading 1-6
/// open sections with a heading path as Markdown headings do; a table is one line per row with its cells joined by
/// " | ". Encrypted, legacy binary (.doc) and corrupt files are a clear error naming the file.
/// </summary>
public sealed class DocxLoader : IDocumentLoader
{
    public IReadOnlyList<string> Extensions { get; } = [".docx"];

    public IEnumerable<SourceDocument> Load(string path, string documentId, LoadProblems problems)
    {
        var bytes = File.ReadAllBytes(path);
        var walker = new BodyWalker();
        string? title;
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            using var word = WordprocessingDocument.Open(stream, isEditable: false);
            var main = word.MainDocumentPart ?? throw new SiftException($"{path}: not a Word document (the package has no main document part)");
            walker.Styles = StyleNames(main);
            if (main.Document?.Body is { } body)
            {
                walker.Walk(body);
            }

            title = word.PackageProperties.Title;
        }
        catch (Exception ex) when (ex is not SiftException)
        {
            throw new SiftException($"{path}: {Reason(bytes, ex)}", ex);
        }

        var text = walker.Finish();
        yield return FileText.Document(
            path,
            documentId,
            !string.IsNullOrWhiteSpace(title) ? title.Trim() : walker.FirstHeading ?? Path.GetFileNameWithoutExtension(path),
            text,
            bytes,
            "docx",
            walker.Sections);
    }

    /// <summary>
    /// Why the file cannot be read. An encrypted .docx is not a zip but an OLE compound file holding an
    /// "EncryptedPackage" stream; a compound file without one is a Word 97-2003 .doc renamed.
    /// </summary>
    private static string Reason(byte[] bytes, Exception ex)
    {
        if (bytes is [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, ..])
        {
            var encrypted = bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes("EncryptedPackage")) >= 0;
            return encrypted
                ? "the document is encrypted (password-protected); save it without a password to ingest it"
                : "a Word 97-2003 binary document (.doc), not .docx; save it as .docx to ingest it";
        }

        return $"not a readable .docx ({ex.Message.Split('\n')[0]})";
    }

    /// <summary>Style id to style name ("Heading1" to "heading 1"): ids are translated in localised Word, names are not.</summary>
    private static Dictionary<string, string> StyleNames(MainDocumentPart main)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var style in main.StyleDefinitionsPart?.Styles?.Elements<Style>() ?? [])
        {
            if (style.StyleId?.Value is { } id && style.StyleName?.Val?.Value is { } name)
            {
                names[id] = name;
            }
        }

        return names;
    }

    private sealed class BodyWalker
    {
        private readonly StringBuilder _text = new();
        private readonly SectionOutline _outline = new();

        public Dictionary<string, string> Styles { get; set; } = [];

        public IReadOnlyList<DocumentSection> Sections { get; private set; } = [];

        public string? FirstHeading => _outline.FirstHeading;

        public void Walk(OpenXmlElement container)
        {
            foreach (var element in container.ChildElements)
            {
                switch (element)
                {
                    case Paragraph paragraph:
                        AddParagraph(paragraph);
                        break;
                    case Table table:
                        AddTable(table);
                        break;
                    default:
                        Walk(element); // content controls, custom XML and the like wrap paragraphs and tables
                        break;
                }
            }
        }

        public string Finish()
        {
            Sections = _outline.Finish(_text.Length);
            return _text.ToString();
        }

        private void AddParagraph(Paragraph paragraph)
        {
            var text = InlineText(paragraph).Trim();
            if (text.Length == 0)
            {
                return;
            }

            if (HeadingLevel(paragraph) is { } level)
            {
                _outline.Heading(level, text, _text.Length);
            }

            _text.Append(text).Append("\n\n");
        }

        private void AddTable(Table table)
        {
            foreach (var row in table.Elements<TableRow>())
            {
                var cells = row.Elements<TableCell>()
                    .Select(cell => string.Join(' ', cell.Descendants<Paragraph>().Select(p => InlineText(p).Trim()).Where(t => t.Length > 0)))
                    .ToList();
                if (cells.Exists(c => c.Length > 0))
                {
                    _text.Append(string.Join(" | ", cells)).Append('\n');
                }
            }

            _text.Append('\n');
        }

        /// <summary>0 for Title, 1-6 for Heading 1-6 (by style id or style name), null for any other paragraph.</summary>
        private int? HeadingLevel(Paragraph paragraph)
        {
            if (paragraph.ParagraphProperties?.ParagraphStyleId?.Val?.Value is not { } id)
            {
                return null;
            }

            var name = Styles.GetValueOrDefault(id, id).Replace(" ", "", StringComparison.Ordinal);
            foreach (var candidate in new[] { id, name })
            {
                if (candidate.Equals("Title", StringComparison.OrdinalIgnoreCase))
                {
                    return 0;
                }

                if (candidate.Length == 8 && candidate.StartsWith("Heading", StringComparison.OrdinalIgnoreCase) && candidate[7] is >= '1' and <= '6')
                {
                    return candidate[7] - '0';
                }
            }

            return null;
        }

        /// <summary>A paragraph's runs: text, tabs and line breaks, in order (deleted revisions and field codes are not text).</summary>
        private static string InlineText(Paragraph paragraph)
        {
            var text = new StringBuilder();
            foreach (var element in paragraph.Descendants())
            {
                switch (element)
                {
                    case Text t:
                        text.Append(t.Text);
                        break;
                    case TabChar or PositionalTab:
                        text.Append('\t');
                        break;
                    case Break or CarriageReturn:
                        text.Append('\n');
                        break;
                    case NoBreakHyphen:
                        text.Append('-');
                        break;
                }
            }

            return text.ToString();
        }
    }
}
