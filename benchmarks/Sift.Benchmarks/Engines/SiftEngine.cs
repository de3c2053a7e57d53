using Sift.Index.Analysis;
using Sift.Index.Storage;
using Sift.Ingest;
using Sift.Ingest.Chunking;
using Sift.Ingest.Loading;
using Sift.Retrieval;
using Sift.Retrieval.Lexical;

namespace Sift.Benchmarks.Engines;

/// <summary>Sift's own path: SQLite collection plus the hand-written in-memory BM25 index.</summary>
internal sealed class SiftEngine(string folder, string corpusPath) : ILexicalEngine
{
    private readonly EnglishTextAnalyzer _analyzer = new();
    private Collection? _collection;
    private Retriever? _retriever;

    public string Name => "Sift (SQLite + hand-written BM25)";

    public long DiskBytes => _collection!.Info().SizeBytes;

    public void Build(IReadOnlyList<CorpusRecord> corpus)
    {
        _collection = new CollectionStore(folder, _analyzer).OpenOrCreate("bench");
        new IngestPipeline(LoaderRegistry.Default, new WholeDocumentChunker(), _collection, _collection.Embedder).RunAsync(new IngestRequest(corpusPath)).GetAwaiter().GetResult();
        _collection.FinishIngest("document");
        _retriever = new Retriever(_collection, new LexicalRanker(_collection, _analyzer));
        Search("warm up the index", 1);
    }

    public IReadOnlyList<(string DocumentId, double Score)> Search(string query, int k) =>
        _retriever!.RankDocumentsAsync(query, k).GetAwaiter().GetResult();

    public void Dispose()
    {
        _collection?.Dispose();
        _analyzer.Dispose();
    }
}
