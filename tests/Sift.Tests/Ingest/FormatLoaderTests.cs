using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Ingest.Chunking;
using Sift.Ingest.Loading;
using Sift.Tests.Support;

namespace Sift.Tests.Ingest;

/// <summary>The loaders for .docx, .csv/.tsv, .rst and source code, on small fixtures written here.</summary>
public sealed class FormatLoaderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static SourceDocument Load(IDocumentLoader loader, string path) =>
        loader.Load(path, Path.GetFileName(path), new LoadProblems(false)).Single();

    private static IReadOnlyList<string> PathAt(SourceDocument document, string text) =>
        document.SectionAt(document.Text.IndexOf(text, StringComparison.Ordinal))!.HeadingPath;

    // ---- .docx ----

    private string Docx(string name, params OpenXmlElement[] body)
    {
        var path = _folder.Combine(name);
        using var word = WordprocessingDocument.Create(path, WordprocessingDocumentType.Document);
        var main = word.AddMainDocumentPart();
        main.Document = new Document(new Body(body));
        return path;
    }

    private static Paragraph Para(string text, string? style = null)
    {
        var paragraph = new Paragraph(new Run(new Text(text) { Space = SpaceProcessingModeValues.Preserve }));
        if (style is not null)
        {
            paragraph.ParagraphProperties = new ParagraphProperties(new ParagraphStyleId { Val = style });
        }

        return paragraph;
    }

    private static Table Table(params string[][] rows) =>
        new([.. rows.Select(cells => new TableRow([.. cells.Select(c => new TableCell(Para(c)))]))]);

    [Fact]
    public void DocxKeepsParagraphsInOrderHeadingsAsSectionsAndTableRowsAsLines()
    {
        var path = Docx("manual.docx",
            Para("Pump Manual", "Title"),
            Para("Read this first."),
            Para("Install", "Heading1"),
            Para("Mount the pump level."),
            Para("Wiring", "Heading2"),
            Table(["Wire", "Colour"], ["live", "brown"], ["neutral", "blue"]),
            Para("Use", "Heading1"),
            Para("Press start."));

        var document = Load(new DocxLoader(), path);

        Assert.Equal("Pump Manual", document.Title);
        Assert.Equal("docx", document.Metadata["type"]);
        Assert.True(document.Text.IndexOf("Read this first.", StringComparison.Ordinal) < document.Text.IndexOf("Mount the pump", StringComparison.Ordinal));
        Assert.Contains("Wire | Colour\nlive | brown\nneutral | blue\n", document.Text, StringComparison.Ordinal);
        Assert.Equal(["Pump Manual", "Install", "Wiring"], PathAt(document, "neutral | blue"));
        Assert.Equal(["Pump Manual", "Install"], PathAt(document, "Mount the pump"));
        Assert.Equal(["Pump Manual", "Use"], PathAt(document, "Press start."));
    }

    [Fact]
    public void DocxHeadingsAreFoundByStyleNameWhenTheStyleIdIsLocalised()
    {
        var path = _folder.Combine("german.docx");
        using (var word = WordprocessingDocument.Create(path, WordprocessingDocumentType.Document))
        {
            var main = word.AddMainDocumentPart();
            main.AddNewPart<StyleDefinitionsPart>().Styles = new Styles(
                new Style(new StyleName { Val = "heading 2" }) { StyleId = "berschrift2", Type = StyleValues.Paragraph });
            main.Document = new Document(new Body(Para("Einbau", "berschrift2"), Para("Text darunter.")));
        }

        Assert.Equal(["Einbau"], PathAt(Load(new DocxLoader(), path), "Text darunter."));
    }

    [Fact]
    public void CorruptEncryptedAndLegacyDocxAreClearErrorsNamingTheFile()
    {
        var corrupt = _folder.File("broken.docx", "this is not a zip");
        var error = Assert.Throws<SiftException>(() => Load(new DocxLoader(), corrupt));
        Assert.StartsWith($"{corrupt}: not a readable .docx", error.Message, StringComparison.Ordinal);

        // An encrypted .docx is an OLE compound file (this signature) holding an "EncryptedPackage" stream.
        byte[] signature = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        var locked = _folder.Combine("locked.docx");
        File.WriteAllBytes(locked, [.. signature, .. new byte[504], .. Encoding.Unicode.GetBytes("EncryptedPackage"), .. new byte[64]]);
        error = Assert.Throws<SiftException>(() => Load(new DocxLoader(), locked));
        Assert.StartsWith($"{locked}: the document is encrypted", error.Message, StringComparison.Ordinal);

        var legacy = _folder.Combine("old.docx");
        File.WriteAllBytes(legacy, [.. signature, .. new byte[600]]);
        error = Assert.Throws<SiftException>(() => Load(new DocxLoader(), legacy));
        Assert.Contains("Word 97-2003", error.Message, StringComparison.Ordinal);
    }

    // ---- .csv / .tsv ----

    [Fact]
    public void CsvGroupsRowsUnderARepeatedHeaderWithRowRangesAsHeadings()
    {
        var lines = new StringBuilder("id,name,city\r\n");
        for (var i = 1; i <= 45; i++)
        {
            lines.Append($"{i},person{i},town{i}\r\n");
        }

        var document = Load(new CsvLoader(), _folder.File("people.csv", lines.ToString()));

        Assert.Equal("csv", document.Metadata["type"]);
        Assert.Equal(3, document.Sections.Count);
        Assert.Equal([["rows 1-20"], ["rows 21-40"], ["rows 41-45"]], document.Sections.Select(s => s.HeadingPath));
        foreach (var section in document.Sections)
        {
            Assert.StartsWith("id | name | city\n", document.Text[section.Start..section.End], StringComparison.Ordinal);
        }

        Assert.Equal(["rows 21-40"], PathAt(document, "person33"));
        var chunks = new RecursiveChunker(ChunkerFactory.DefaultSize).Split(document);
        Assert.All(chunks, c => Assert.StartsWith("id | name | city", c.Text, StringComparison.Ordinal));
    }

    [Fact]
    public void CsvGroupsAlsoStopAtAboutTwoHundredWords()
    {
        var wordy = string.Join(' ', Enumerable.Repeat("word", 60));
        var lines = "title,body\n" + string.Concat(Enumerable.Range(1, 10).Select(i => $"t{i},\"{wordy}\"\n"));

        var document = Load(new CsvLoader(), _folder.File("notes.csv", lines));

        Assert.Equal(["rows 1-3"], document.Sections[0].HeadingPath);
        Assert.All(document.Sections, s => Assert.True(document.Text[s.Start..s.End].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length <= CsvLoader.GroupWords));
    }

    [Fact]
    public void CsvQuotedFieldsMayHoldCommasQuotesAndLineBreaks()
    {
        var document = Load(new CsvLoader(), _folder.File("quotes.csv",
            "name,remark\n\"Smith, Jane\",\"said \"\"hi\"\"\nand left\"\nBob,plain\n"));

        Assert.Contains("Smith, Jane | said \"hi\" and left\n", document.Text, StringComparison.Ordinal);
        Assert.Contains("Bob | plain\n", document.Text, StringComparison.Ordinal);
        Assert.Equal(["rows 1-2"], document.Sections.Single().HeadingPath);
    }

    [Fact]
    public void CsvWithAnUnclosedQuoteNamesTheFileAndLine()
    {
        var path = _folder.File("bad.csv", "a,b\n1,2\n3,\"never closed\n4,5\n");
        var error = Assert.Throws<SiftException>(() => Load(new CsvLoader(), path));
        Assert.Equal($"{path}:3: a quoted field is never closed (a \" without its closing \")", error.Message);
    }

    [Fact]
    public void TsvSplitsOnTabsAndAHeaderOnlyFileIsOneSection()
    {
        var document = Load(new CsvLoader(), _folder.File("t.tsv", "gene\tscore\nBRCA1\t0.9, high\n"));
        Assert.Equal("tsv", document.Metadata["type"]);
        Assert.Contains("BRCA1 | 0.9, high", document.Text, StringComparison.Ordinal);

        var header = Load(new CsvLoader(), _folder.File("h.csv", "a,b\n"));
        Assert.Equal("a | b\n\n", header.Text);
    }

    // ---- .rst ----

    [Fact]
    public void RstKeepsTextAsWrittenAndNestsTitlesByOrderOfFirstAdornment()
    {
        var text = """
            =========
            The Guide
            =========

            Intro paragraph.

            Install
            =======

            Pick a package.

            On Linux
            --------

            Use apt.

            A line that is not a title
            because no blank line precedes the next one
            ----

            Usage
            =====

            Run it.

               indented text
               -------------

            Grid tables are not titles:

            +-----+-----+
            | a   | b   |
            +=====+=====+
            """;
        var path = _folder.File("guide.rst", text);

        var document = Load(new RstLoader(), path);

        Assert.Equal("The Guide", document.Title);
        Assert.Equal(File.ReadAllText(path), document.Text);
        Assert.Equal("rst", document.Metadata["type"]);
        Assert.Equal(["The Guide"], PathAt(document, "Intro paragraph."));
        Assert.Equal(["The Guide", "Install", "On Linux"], PathAt(document, "Use apt."));
        Assert.Equal(["The Guide", "Install", "On Linux"], PathAt(document, "because no blank"));
        Assert.Equal(["The Guide", "Usage"], PathAt(document, "Run it."));
        Assert.Equal(["The Guide", "Usage"], PathAt(document, "| a   |"));
        Assert.Equal(0, document.Sections[0].Start);
        Assert.Equal(document.Text.IndexOf("Install", StringComparison.Ordinal), document.Sections[1].Start);
    }

    // ---- source code ----

    [Fact]
    public void PythonSectionsStartAtDefinitionsWithTheirDecoratorsAndNestMethodsInClasses()
    {
        var path = _folder.File("shapes.py", """
            import math

            # Area of a circle.
            def area(r):
                return math.pi * r * r


            class Shape:
                @property
                def sides(self):
                    return 0

                async def draw(self):
                    pass
            """);

        var document = Load(new CodeLoader(), path);

        Assert.Equal("python", document.Metadata["type"]);
        Assert.Equal("shapes.py", document.Title);
        Assert.Equal(File.ReadAllText(path), document.Text);
        Assert.Empty(PathAt(document, "import math"));
        Assert.Equal(["area"], PathAt(document, "# Area of a circle."));
        Assert.Equal(["Shape", "sides"], PathAt(document, "@property"));
        Assert.Equal(["Shape", "draw"], PathAt(document, "pass"));
    }

    [Fact]
    public void CSharpMethodsAreFoundByTheirModifiersAndCallsAreNot()
    {
        var document = Load(new CodeLoader(), _folder.File("Pump.cs", """
            namespace Plant;

            /// <summary>A pump.</summary>
            public sealed class Pump
            {
                public Pump(int rate) => Rate = rate;

                public int Rate { get; }

                [Obsolete("use Start")]
                public async Task<bool> RunAsync(CancellationToken token)
                {
                    return Check(token);
                }

                private static bool Check(CancellationToken token) => true;
            }
            """));

        Assert.Equal("csharp", document.Metadata["type"]);
        Assert.Equal(["Pump"], PathAt(document, "/// <summary>A pump."));
        Assert.Equal(["Pump", "Pump"], PathAt(document, "Rate { get; }"));
        Assert.Equal(["Pump", "RunAsync"], PathAt(document, "[Obsolete"));
        Assert.Equal(["Pump", "RunAsync"], PathAt(document, "return Check"));
        Assert.Equal(["Pump", "Check"], PathAt(document, "=> true"));
    }

    [Theory]
    [InlineData("main.go", "go", "package main\n\ntype Server struct {\n}\n\n// Start starts.\nfunc (s *Server) Start() error {\n\treturn nil\n}\n", "return nil", "Start")]
    [InlineData("lib.rs", "rust", "use std::fmt;\n\npub struct Point;\n\nimpl fmt::Display for Point {\n    fn fmt(&self) -> u8 {\n        0\n    }\n}\n", "0\n", "impl fmt::Display for Point > fmt")]
    [InlineData("app.ts", "typescript", "import x from 'y';\n\nexport const add = (a: number, b: number): number => a + b;\n\nexport class Cart {\n  total(): number {\n    if (x) {\n      return 1;\n    }\n  }\n}\n", "return 1", "Cart > total")]
    [InlineData("util.js", "javascript", "'use strict';\n\nasync function fetchAll(urls) {\n  return urls;\n}\n", "return urls", "fetchAll")]
    [InlineData("pump.c", "c", "#include <stdio.h>\n\nstatic int rate = 0;\n\nint pump_start(int speed)\n{\n    return printf(\"%d\", speed);\n}\n", "return printf", "pump_start")]
    [InlineData("Main.java", "java", "package x;\n\npublic class Main {\n    @Override\n    public String toString() {\n        return \"m\";\n    }\n}\n", "return \"m\"", "Main > toString")]
    [InlineData("task.rb", "ruby", "module Jobs\n  class Task\n    def run\n      puts 1\n    end\n  end\nend\n", "puts 1", "Jobs > Task > run")]
    [InlineData("build.sh", "shell", "#!/bin/sh\nset -e\n\n# Builds it.\nbuild() {\n  make all\n}\n", "make all", "build")]
    public void EachLanguageFindsItsDeclarations(string name, string language, string source, string inside, string path)
    {
        var document = Load(new CodeLoader(), _folder.File(name, source));

        Assert.Equal(language, document.Metadata["type"]);
        Assert.Equal(path, string.Join(" > ", PathAt(document, inside)));
        Assert.Equal(source, document.Text);
    }

    [Fact]
    public void TheDefaultRegistryReadsTheNewFormats()
    {
        foreach (var extension in new[] { ".docx", ".csv", ".tsv", ".rst", ".cs", ".py", ".js", ".ts", ".java", ".go", ".rs", ".c", ".h", ".cpp", ".rb", ".sh" })
        {
            Assert.NotNull(LoaderRegistry.Default.For("file" + extension));
        }
    }
}
