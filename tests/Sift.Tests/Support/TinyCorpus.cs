using Sift.Index.Analysis;
using Sift.Index.Storage;
using Sift.Ingest;
using Sift.Ingest.Chunking;
using Sift.Ingest.Loading;

namespace Sift.Tests.Support;

/// <summary>A few text files under docs/ in a temporary folder, ingested whole (one chunk each) into a real collection.</summary>
public sealed class TinyCorpus : IDisposable
{
    public static readonly EnglishTextAnalyzer Analyzer = new();

    public TinyCorpus(params (string Name, string Text)[] files)
    {
        foreach (var (name, text) in files)
        {
            Folder.File($"docs/{name}", text);
        }

        Collection = new CollectionStore(Folder.Combine("store"), Analyzer).OpenOrCreate("c");
        new IngestPipeline(LoaderRegistry.Default, new WholeDocumentChunker(), Collection, Collection.Embedder).RunAsync(new IngestRequest(Folder.Combine("docs"))).GetAwaiter().GetResult();
    }

    public TempFolder Folder { get; } = new();

    public Collection Collection { get; }

    public void Dispose()
    {
        Collection.Dispose();
        Folder.Dispose();
    }
}
