using System.Text;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Stages;

namespace Sift.Ingest.Loading;

/// <summary>
/// CSV and TSV: one document per file, whose text is the rows in groups (at most <see cref="GroupRows"/> rows and about
/// <see cref="GroupWords"/> words), each group a section headed "rows 21-40" that starts with the header row again, so
/// every chunk says what its columns are. The first row is taken as the header. Cells are written joined by " | ", one
/// row a line, with line breaks inside quoted cells turned into spaces.
/// </summary>
public sealed class CsvLoader : IDocumentLoader
{
    public const int GroupRows = 20;
    public const int GroupWords = 200;

    public IReadOnlyList<string> Extensions { get; } = [".csv", ".tsv"];

    public IEnumerable<SourceDocument> Load(string path, string documentId, LoadProblems problems)
    {
        var bytes = File.ReadAllBytes(path);
        if (FileText.Decode(bytes, path, problems) is not { } raw)
        {
            yield break;
        }

        var tsv = Path.GetExtension(path).Equals(".tsv", StringComparison.OrdinalIgnoreCase);
        var rows = DelimitedRows.Parse(raw, tsv ? '\t' : ',', path)
            .Where(row => row.Exists(cell => cell.Length > 0))
            .Select(Line)
            .ToList();
        if (rows.Count == 0)
        {
            yield break;
        }

        var header = rows[0];
        var headerWords = Words(header);
        var text = new StringBuilder();
        var sections = new List<DocumentSection>();
        var first = 1;
        while (first < rows.Count || sections.Count == 0)
        {
            // At least one row per group, then more while the group stays within both limits.
            var last = Math.Min(first, rows.Count - 1);
            var words = headerWords + (first < rows.Count ? Words(rows[first]) : 0);
            while (last + 1 < rows.Count && last + 1 - first < GroupRows && words + Words(rows[last + 1]) <= GroupWords)
            {
                last++;
                words += Words(rows[last]);
            }

            var start = text.Length;
            text.Append(header).Append('\n');
            for (var i = first; i <= last && i < rows.Count; i++)
            {
                text.Append(rows[i]).Append('\n');
            }

            text.Append('\n');
            string[] heading = first < rows.Count ? [$"rows {first}-{last}"] : [];
            sections.Add(new DocumentSection(start, text.Length, heading, null));
            first = last + 1;
        }

        yield return FileText.Document(
            path, documentId, Path.GetFileName(path), text.ToString(), bytes, tsv ? "tsv" : "csv", sections);
    }

    private static string Line(List<string> cells) =>
        string.Join(" | ", cells.Select(cell => string.Join(' ', cell.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))));

    private static int Words(string line) => line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
}

/// <summary>
/// An RFC 4180 reader: fields separated by a delimiter, records by CRLF or LF; a field in double quotes may hold the
/// delimiter, line breaks and doubled quotes (""). Rows may have different lengths (files in the wild do).
/// </summary>
internal static class DelimitedRows
{
    public static IEnumerable<List<string>> Parse(string text, char delimiter, string path)
    {
        var row = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '"' && field.Length == 0)
            {
                var opened = line;
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw new SiftException($"{path}:{opened}: a quoted field is never closed (a \" without its closing \")");
                    }

                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    line += text[i] == '\n' ? 1 : 0;
                    field.Append(text[i++]);
                }

                // Text after the closing quote (a"b"c) is kept as is, as spreadsheet programs do.
                continue;
            }

            if (c == delimiter)
            {
                row.Add(field.ToString());
                field.Clear();
            }
            else if (c is '\n' or '\r')
            {
                row.Add(field.ToString());
                field.Clear();
                yield return row;
                row = [];
                line++;
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }
            }
            else
            {
                field.Append(c);
            }

            i++;
        }

        if (field.Length > 0 || row.Count > 0)
        {
            row.Add(field.ToString());
            yield return row;
        }
    }
}
