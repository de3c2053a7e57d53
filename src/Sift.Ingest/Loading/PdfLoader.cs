using System.Text;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Stages;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;

namespace Sift.Ingest.Loading;

/// <summary>PDF: text in reading order, one section per page so chunks carry their page number.</summary>
public sealed class PdfLoader : IDocumentLoader
{
    public IReadOnlyList<string> Extensions { get; } = [".pdf"];

    public IEnumerable<SourceDocument> Load(string path, string documentId, LoadProblems problems)
    {
        var bytes = File.ReadAllBytes(path);
        var text = new StringBuilder();
        var sections = new List<DocumentSection>();
        string? title;
        try
        {
            using var pdf = PdfDocument.Open(bytes);
            title = pdf.Information.Title;
            foreach (var page in pdf.GetPages())
            {
                var start = text.Length;
                text.Append(ContentOrderTextExtractor.GetText(page).Trim());
                text.Append("\n\n");
                sections.Add(new DocumentSection(start, text.Length, [], page.Number));
            }
        }
        catch (Exception ex) when (ex is not SiftException)
        {
            var reason = ex.GetType().Name.Contains("Encrypt", StringComparison.Ordinal)
                ? "the PDF is encrypted"
                : $"not a readable PDF ({ex.Message})";
            throw new SiftException($"{path}: {reason}", ex);
        }

        yield return FileText.Document(
            path,
            documentId,
            string.IsNullOrWhiteSpace(title) ? Path.GetFileNameWithoutExtension(path) : title.Trim(),
            text.ToString(),
            bytes,
            "pdf",
            sections);
    }
}
