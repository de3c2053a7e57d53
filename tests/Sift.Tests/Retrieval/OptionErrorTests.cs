using Sift.Core;
using Sift.Index.Analysis;
using Sift.Index.Storage;
using Sift.Retrieval;
using Sift.Tests.Support;

namespace Sift.Tests.Retrieval;

/// <summary>The library names a bad option in words; the CLI says it as its flag (the server as its field: ServerTests).</summary>
public sealed class OptionErrorTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("rerank depth", "must be at least 1 (got 0)")]
    [InlineData("dense weight", "must be between 0 and 1 (got 1.5)")]
    [InlineData("mode", "'fuzzy' is unknown (use bm25, dense, hybrid)")]
    public void TheLibraryNamesTheOptionNotAFlag(string option, string problem)
    {
        using var collection = new CollectionStore(_folder.Combine("store"), new EnglishTextAnalyzer()).OpenOrCreate("c");
        var settings = option switch
        {
            "rerank depth" => new RetrievalSettings(RerankDepth: 0),
            "dense weight" => new RetrievalSettings(DenseWeight: 1.5),
            _ => new RetrievalSettings(Mode: "fuzzy"),
        };
        var error = Assert.Throws<InvalidOptionException>(() => RetrieverFactory.Create(collection, new EnglishTextAnalyzer(), settings));
        Assert.Equal((option, problem), (error.Option, error.Problem));
        Assert.Equal($"{option} {problem}", error.Message);
        Assert.DoesNotContain("--", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheCliSaysTheOptionAsItsFlag()
    {
        var store = _folder.Combine("cli");
        Assert.Equal(0, (await SiftProcess.RunAsync(store, "ingest", Path.Combine(Paths.RepositoryRoot, "samples", "demo", "corpus"), "-c", "demo")).ExitCode);
        var result = await SiftProcess.RunAsync(store, "search", "bm25", "-c", "demo", "--rerank-depth", "0");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: --rerank-depth must be at least 1 (got 0)", result.Stderr.Trim());
        var weight = await SiftProcess.RunAsync(store, "search", "bm25", "-c", "demo", "--mode", "hybrid", "--dense-weight", "2");
        Assert.Equal("error: --dense-weight must be between 0 and 1 (got 2)", weight.Stderr.Trim());
    }
}
