namespace Sift.Benchmarks.Engines;

/// <summary>A BM25 engine under comparison: index a corpus, then rank documents for a query.</summary>
internal interface ILexicalEngine : IDisposable
{
    string Name { get; }

    void Build(IReadOnlyList<CorpusRecord> corpus);

    IReadOnlyList<(string DocumentId, double Score)> Search(string query, int k);

    long DiskBytes { get; }
}

internal sealed record CorpusRecord(string Id, string Title, string Text);
