using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Index.Analysis;
using Sift.Index.Lexical;
using Sift.Index.Storage;
using Sift.Tests.Support;

namespace Sift.Tests.Index;

/// <summary>Collection.Write analyzes chunks in groups across documents: every chunk must still get its own terms.</summary>
public sealed class CollectionWriteTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static DocumentChunks Document(string id, int chunks)
    {
        var document = new SourceDocument(id, id, $"title {id}", "", id, new Dictionary<string, string>(), []);
        return new DocumentChunks(document, [.. Enumerable.Range(0, chunks).Select(c =>
            new Chunk(id, c, $"marker{id}x{c} shared", 0, 0, [], null, $"{id}-{c}"))]);
    }

    [Fact]
    public void ChunksAcrossGroupBoundariesAndDocumentsWithoutChunksAreAllWritten()
    {
        using var collection = new CollectionStore(_folder.Combine("store"), new EnglishTextAnalyzer()).OpenOrCreate("c");
        // 700 + 0 + 400 + 0 chunks: group boundaries (512) fall inside the first and the third document, and the batch
        // ends with a document that has no chunks.
        collection.Write([Document("a", 700), Document("empty", 0), Document("b", 400), Document("last", 0)]);

        var documents = collection.ListDocuments();
        Assert.Equal(["a", "b", "empty", "last"], documents.Keys.Order(StringComparer.Ordinal));
        var snapshot = collection.LexicalIndex(Bm25Parameters.Default);
        Assert.Equal(1100, snapshot.Index.Count);
        foreach (var (id, chunk) in new[] { ("a", 0), ("a", 511), ("a", 512), ("a", 699), ("b", 0), ("b", 323), ("b", 399) })
        {
            var hit = Assert.Single(snapshot.Index.Search([$"marker{id}x{chunk}"], 5));
            Assert.Equal(id, snapshot.DocumentIds[hit.Slot]);
            var stored = Assert.Single(collection.GetChunks([snapshot.ChunkIds[hit.Slot]]));
            Assert.Equal($"marker{id}x{chunk} shared", stored.Text);
        }

        // Title terms go with every chunk of their own document only.
        Assert.Equal(400, snapshot.Index.Search(["b"], 2000).Count);
    }

    [Fact]
    public void SettingsChangedThroughAnotherHandleAreSeenAtOnce()
    {
        var store = new CollectionStore(_folder.Combine("store"), new EnglishTextAnalyzer());
        using var reader = store.OpenOrCreate("c");
        using var writer = store.Open("c");
        Assert.Null(reader.Settings.Mode);

        // The reader keeps settings per generation; another handle (or process) changing them bumps the generation.
        writer.Configure(writer.Settings with { Mode = "hybrid", EfSearch = 80 });
        Assert.Equal(("hybrid", 80), (reader.Settings.Mode, reader.Settings.EfSearch));
        writer.Configure(writer.Settings with { Mode = null });
        Assert.Null(reader.Settings.Mode);
    }
}
