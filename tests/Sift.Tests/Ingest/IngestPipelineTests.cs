using Sift.Core;
using Sift.Index.Analysis;
using Sift.Index.Storage;
using Sift.Ingest;
using Sift.Ingest.Chunking;
using Sift.Ingest.Loading;
using Sift.Tests.Support;

namespace Sift.Tests.Ingest;

/// <summary>Incremental ingest against a real SQLite collection on disk.</summary>
public sealed class IngestPipelineTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly Collection _collection;

    public IngestPipelineTests()
    {
        _collection = new CollectionStore(_folder.Combine("store"), new EnglishTextAnalyzer()).OpenOrCreate("docs");
    }

    public void Dispose()
    {
        _collection.Dispose();
        _folder.Dispose();
    }

    private IngestSummary Ingest(string path, bool prune = false, string chunker = "recursive") =>
        new IngestPipeline(LoaderRegistry.Default, ChunkerFactory.Create(chunker, 50, 10), _collection, _collection.Embedder)
            .RunAsync(new IngestRequest(path, Prune: prune), cancellationToken: TestContext.Current.CancellationToken).GetAwaiter().GetResult();

    [Fact]
    public void SecondIngestOfUnchangedFilesWritesNothing()
    {
        _folder.File("files/a.txt", "alpha text");
        _folder.File("files/b.md", "# Beta\nbeta text");
        var first = Ingest(_folder.Combine("files"));
        var generation = _collection.Info().Generation;

        var second = Ingest(_folder.Combine("files"));

        Assert.Equal((2, 0, 0), (first.Added, first.Updated, first.Unchanged));
        Assert.Equal((0, 0, 2, 0), (second.Added, second.Updated, second.Unchanged, second.Chunks));
        Assert.Equal(generation, _collection.Info().Generation);
    }

    [Fact]
    public void ChangedFileReplacesItsChunksAndLeavesOthersAlone()
    {
        _folder.File("files/a.txt", "alpha original");
        _folder.File("files/b.txt", "beta original");
        Ingest(_folder.Combine("files"));
        _folder.File("files/a.txt", "alpha rewritten");

        var summary = Ingest(_folder.Combine("files"));

        Assert.Equal((0, 1, 1), (summary.Added, summary.Updated, summary.Unchanged));
        var texts = AllChunkTexts();
        Assert.Contains("alpha rewritten", texts);
        Assert.DoesNotContain("alpha original", texts);
        Assert.Contains("beta original", texts);
    }

    [Fact]
    public void ChangingTheChunkerReChunksEvenUnchangedFiles()
    {
        _folder.File("files/a.txt", "alpha text");
        Ingest(_folder.Combine("files"));
        var summary = Ingest(_folder.Combine("files"), chunker: "fixed");
        Assert.Equal(1, summary.Updated);
    }

    [Fact]
    public void PruneRemovesDocumentsWhoseFilesAreGoneOnlyUnderThePath()
    {
        _folder.File("files/a.txt", "alpha");
        _folder.File("files/b.txt", "beta");
        _folder.File("other/c.txt", "gamma");
        Ingest(_folder.Combine("files"));
        Ingest(_folder.Combine("other"));
        File.Delete(_folder.Combine("files/b.txt"));

        var withoutPrune = Ingest(_folder.Combine("files"));
        Assert.Equal(0, withoutPrune.Removed);
        Assert.Equal(3, _collection.ListDocuments().Count);

        var pruned = Ingest(_folder.Combine("files"), prune: true);
        Assert.Equal(1, pruned.Removed);
        Assert.Equal(["files/a.txt", "other/c.txt"], _collection.ListDocuments().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void DocumentIdsAreThePathBelowTheRootFolderName()
    {
        _folder.File("files/sub/a.txt", "alpha");
        Ingest(_folder.Combine("files"));
        Assert.Equal("files/sub/a.txt", Assert.Single(_collection.ListDocuments().Keys));
    }

    [Fact]
    public void MissingPathAndUnsupportedFileAreUserErrors()
    {
        Assert.Contains("path not found", Assert.Throws<SiftException>(() => Ingest(_folder.Combine("nope"))).Message, StringComparison.Ordinal);
        var odd = _folder.File("data.xyz", "?");
        Assert.Contains("unsupported file type", Assert.Throws<SiftException>(() => Ingest(odd)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ABadFileStopsTheRunButKeepsWhatWasAlreadyStored()
    {
        _folder.File("files/a.txt", "alpha");
        Ingest(_folder.Combine("files"));
        _folder.File("files/z.pdf", "not a pdf");

        Assert.Throws<SiftException>(() => Ingest(_folder.Combine("files")));

        Assert.Equal("ok", _collection.CheckIntegrity());
        Assert.Contains("alpha", AllChunkTexts());
    }

    private List<string> AllChunkTexts()
    {
        var snapshot = _collection.LexicalIndex(Bm25Parameters.Default);
        return [.. _collection.GetChunks(snapshot.ChunkIds).Select(c => c.Text)];
    }
}
