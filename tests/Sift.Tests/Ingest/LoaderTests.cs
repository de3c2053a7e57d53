using Sift.Core;
using Sift.Core.Stages;
using Sift.Ingest.Loading;
using Sift.Tests.Support;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace Sift.Tests.Ingest;

public sealed class LoaderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void MarkdownKeepsTextAsWrittenAndGivesEachSectionItsHeadingPath()
    {
        var path = _folder.File("guide.md", "# Install\nIntro text.\n\n## Linux\nUse apt.\n\n## Windows\nUse winget.\n\n# Usage\nRun it.\n");
        var document = Load(new MarkdownLoader(), path);

        Assert.Equal("Install", document.Title);
        Assert.Equal(File.ReadAllText(path), document.Text);
        var linux = document.SectionAt(document.Text.IndexOf("Use apt", StringComparison.Ordinal))!;
        Assert.Equal(["Install", "Linux"], linux.HeadingPath);
        var usage = document.SectionAt(document.Text.IndexOf("Run it", StringComparison.Ordinal))!;
        Assert.Equal(["Usage"], usage.HeadingPath);
        Assert.Equal("md", document.Metadata["type"]);
    }

    [Theory]
    [InlineData("<div>", "</div>")]
    [InlineData("<div/>", "")]
    [InlineData("<div></zz>", "")]
    [InlineData("<span><p>", "")]
    [InlineData("<div><object></div>", "")]
    [InlineData("<div><SCRIPT></div></SCRIPT>", "")]
    public void HtmlNestedDeeperThanTheLimitIsRefusedQuicklyHoweverTheTagsAreWritten(string open, string close)
    {
        var path = _folder.File("deep.html", $"<html><body>{string.Concat(Enumerable.Repeat(open, 100_000))}deep{string.Concat(Enumerable.Repeat(close, 100_000))}</body></html>");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var error = Assert.Throws<SiftException>(() => Load(new HtmlLoader(), path));
        Assert.Contains("nest deeper than 1000", error.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }

    [Fact]
    public void HtmlWithManySiblingsAndClosedOrVoidTagsIsNotMistakenForDeepNesting()
    {
        var body = string.Concat(Enumerable.Repeat("<div><p>para<br/><img src=x><li>item</div>", 5_000)) + string.Concat(Enumerable.Repeat("<b>bold</b> ", 5_000));
        var path = _folder.File("wide.html", $"<html><body>{body}</body></html>");
        Assert.Contains("para", Load(new HtmlLoader(), path).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void HtmlDropsScriptsStylesAndNavigationAndTracksHeadings()
    {
        var path = _folder.File("page.html", """
            <html><head><title>Page title</title><style>.x{color:red}</style><script>var secret = 1;</script></head>
            <body><nav>Home | About</nav><div role="navigation">Menu</div>
            <h1>Guide</h1><p>First   paragraph.</p><h2>Details</h2><p>Second <b>bold</b> paragraph.</p>
            <p>diagram: <button onclick="toggle()">show</button><select><option>Option A</option></select><span hidden>Hidden text</span></p></body></html>
            """);
        var document = Load(new HtmlLoader(), path);

        Assert.Equal("Page title", document.Title);
        Assert.DoesNotContain("secret", document.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("color", document.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("About", document.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Menu", document.Text, StringComparison.Ordinal);
        // Form controls and hidden elements are not content (SQLite's manual has a "show"/"hide" button per diagram).
        Assert.DoesNotContain("show", document.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Option A", document.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Hidden text", document.Text, StringComparison.Ordinal);
        Assert.Contains("First paragraph.", document.Text, StringComparison.Ordinal);
        Assert.Contains("Second bold paragraph.", document.Text, StringComparison.Ordinal);
        var details = document.SectionAt(document.Text.IndexOf("Second", StringComparison.Ordinal))!;
        Assert.Equal(["Guide", "Details"], details.HeadingPath);
    }

    [Fact]
    public void PdfGivesOneSectionPerPageWithPageNumbers()
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        builder.AddPage(PageSize.A4).AddText("Photosynthesis converts light.", 12, new UglyToad.PdfPig.Core.PdfPoint(50, 700), font);
        builder.AddPage(PageSize.A4).AddText("Mitochondria make energy.", 12, new UglyToad.PdfPig.Core.PdfPoint(50, 700), font);
        var path = _folder.Combine("paper.pdf");
        File.WriteAllBytes(path, builder.Build());

        var document = Load(new PdfLoader(), path);

        var second = document.SectionAt(document.Text.IndexOf("Mitochondria", StringComparison.Ordinal))!;
        Assert.Equal(2, second.Page);
        Assert.Equal(1, document.SectionAt(document.Text.IndexOf("Photosynthesis", StringComparison.Ordinal))!.Page);
    }

    [Fact]
    public void CorruptPdfIsAClearErrorNamingTheFile()
    {
        var path = _folder.File("broken.pdf", "this is not a pdf at all");
        var error = Assert.Throws<SiftException>(() => Load(new PdfLoader(), path));
        Assert.Contains("broken.pdf", error.Message, StringComparison.Ordinal);
        Assert.Contains("PDF", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EncryptedPdfIsReportedAsEncrypted()
    {
        var path = _folder.Combine("locked.pdf");
        File.WriteAllBytes(path, EncryptedPdf.Bytes());
        var error = Assert.Throws<SiftException>(() => Load(new PdfLoader(), path));
        Assert.Contains("locked.pdf", error.Message, StringComparison.Ordinal);
        Assert.Contains("encrypted", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void JsonlGivesOneDocumentPerRecordWithMetadata()
    {
        var path = _folder.File("corpus.jsonl", """
            {"_id": "a", "title": "Alpha", "text": "First record.", "metadata": {"lang": "en", "year": 2020}}

            {"_id": "b", "title": "", "text": "Second record."}
            """);
        var documents = new BeirJsonlLoader().Load(path, "corpus.jsonl", new LoadProblems(false)).ToList();

        Assert.Equal(["a", "b"], documents.Select(d => d.Id));
        Assert.Equal("Alpha", documents[0].Title);
        Assert.Equal("en", documents[0].Metadata["lang"]);
        Assert.Equal("2020", documents[0].Metadata["year"]);
        Assert.NotEqual(documents[0].ContentHash, documents[1].ContentHash);
    }

    [Fact]
    public void BadJsonlLineNamesFileAndLine()
    {
        var path = _folder.File("corpus.jsonl", "{\"_id\": \"a\", \"text\": \"ok\"}\n{not json\n{\"text\": \"no id\"}\n");
        var error = Assert.Throws<SiftException>(() => new BeirJsonlLoader().Load(path, "x", new LoadProblems(false)).ToList());
        Assert.Contains("corpus.jsonl:2", error.Message, StringComparison.Ordinal);

        var problems = new LoadProblems(skipBadRecords: true);
        var documents = new BeirJsonlLoader().Load(path, "x", problems).ToList();
        Assert.Single(documents);
        Assert.Equal(2, problems.Messages.Count);
        Assert.Contains("corpus.jsonl:3", problems.Messages[1], StringComparison.Ordinal);
    }

    private static Sift.Core.Documents.SourceDocument Load(IDocumentLoader loader, string path) =>
        loader.Load(path, Path.GetFileName(path), new LoadProblems(false)).Single();
}
