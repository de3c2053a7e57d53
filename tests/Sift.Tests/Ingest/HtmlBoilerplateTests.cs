using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Ingest.Loading;
using Sift.Tests.Support;

namespace Sift.Tests.Ingest;

/// <summary>Site headers repeated across a folder's pages, and link-dense blocks, are dropped from HTML.</summary>
public sealed class HtmlBoilerplateTests : IDisposable
{
    private const string Header = "<div class=top><div class=tagline>Small. Fast. Reliable. Choose any three.</div><ul><li><a href=a>About</a><li><a href=b>Docs</a></ul></div>";

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static string Page(int i) => $"""
        <html><head><title>Page {i}</title></head><body>{Header}
        <div class=wrap><div class=title>Topic number {i}</div>
        <div class=toc>{string.Concat(Enumerable.Range(1, 8).Select(n => $"<div><a href=#s{n}>{n}. Section {n}</a></div>"))}</div></div>
        <h1>Topic {i}</h1><p>Unique text about subject{i} that only this page has.</p></body></html>
        """;

    private List<string> WriteSite(int pages) =>
        [.. Enumerable.Range(1, pages).Select(i => _folder.File($"site/p{i}.html", Page(i)))];

    [Fact]
    public void BlocksRepeatedAcrossHalfAFoldersPagesAndTablesOfContentsAreDroppedAndTitlesKept()
    {
        var files = WriteSite(8);
        var loader = new HtmlLoader().ForRun(files);

        var document = loader.Load(files[2], "p3.html", new LoadProblems(false)).Single();

        Assert.DoesNotContain("Small. Fast.", document.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Section 4", document.Text, StringComparison.Ordinal);
        Assert.Contains("Topic number 3", document.Text, StringComparison.Ordinal);
        Assert.Contains("Unique text about subject3", document.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileAloneOrAFewPagesKeepTheirRepeatedBlocksButStillLoseLinkDenseOnes()
    {
        var files = WriteSite(3);
        var document = new HtmlLoader().ForRun(files).Load(files[0], "p1.html", new LoadProblems(false)).Single();

        Assert.Contains("Small. Fast. Reliable.", document.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Section 4", document.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void WhatIsRemovedIsPartOfTheContentHashSoAChangedSiteReachesEveryPage()
    {
        var files = WriteSite(8);
        SourceDocument Load(IReadOnlyList<string> run) => new HtmlLoader().ForRun(run).Load(files[0], "p1.html", new LoadProblems(false)).Single();

        Assert.NotEqual(Load(files).ContentHash, Load(files.Take(1).ToList()).ContentHash);
        Assert.Equal(Load(files).ContentHash, Load(files).ContentHash);
    }
}
