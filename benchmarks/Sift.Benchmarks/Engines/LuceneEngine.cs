using Lucene.Net.Analysis.En;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using Sift.Index.Analysis;

namespace Sift.Benchmarks.Engines;

/// <summary>
/// Lucene.NET 4.8 with BM25Similarity(0.9, 0.4) and the same English analysis, title and text in one field as
/// Pyserini's flat index. Result ids come from an array read once after indexing, as Sift returns ids from memory
/// (loading each hit's stored fields per query would charge Lucene for work Sift does not do).
/// </summary>
internal sealed class LuceneEngine(string folder) : ILexicalEngine
{
    private const string Contents = "contents";
    private readonly EnglishTextAnalyzer _queryAnalyzer = new();
    private readonly BM25Similarity _similarity = new(0.9f, 0.4f);
    private FSDirectory? _directory;
    private DirectoryReader? _reader;
    private IndexSearcher? _searcher;
    private string[] _idByDoc = [];

    public string Name => "Lucene.NET 4.8 (BM25Similarity)";

    public long DiskBytes => System.IO.Directory.EnumerateFiles(folder).Sum(f => new FileInfo(f).Length);

    public void Build(IReadOnlyList<CorpusRecord> corpus)
    {
        _directory = FSDirectory.Open(folder);
        var config = new IndexWriterConfig(LuceneVersion.LUCENE_48, new EnglishAnalyzer(LuceneVersion.LUCENE_48))
        {
            Similarity = _similarity,
            OpenMode = OpenMode.CREATE,
        };
        using (var writer = new IndexWriter(_directory, config))
        {
            foreach (var record in corpus)
            {
                writer.AddDocument(new Document
                {
                    new StringField("id", record.Id, Field.Store.YES),
                    new TextField(Contents, record.Title + "\n" + record.Text, Field.Store.NO),
                });
            }

            writer.Commit();
        }

        _reader = DirectoryReader.Open(_directory);
        _searcher = new IndexSearcher(_reader) { Similarity = _similarity };
        _idByDoc = [.. Enumerable.Range(0, _reader.MaxDoc).Select(doc => _reader.Document(doc).Get("id"))];
    }

    public IReadOnlyList<(string DocumentId, double Score)> Search(string query, int k)
    {
        var boolean = new BooleanQuery();
        foreach (var token in _queryAnalyzer.Analyze(query))
        {
            boolean.Add(new TermQuery(new Term(Contents, token.Term)), Occur.SHOULD);
        }

        var top = _searcher!.Search(boolean, k);
        return [.. top.ScoreDocs.Select(d => (_idByDoc[d.Doc], (double)d.Score))];
    }

    public void Dispose()
    {
        _reader?.Dispose();
        _directory?.Dispose();
        _queryAnalyzer.Dispose();
    }
}
