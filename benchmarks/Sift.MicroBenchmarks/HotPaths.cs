using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Evaluation.Synthetic;
using Sift.Generation.Context;
using Sift.Index.Analysis;
using Sift.Index.Lexical;
using Sift.Index.Vectors;
using Sift.Retrieval.Fusion;
using Sift.Retrieval.Ranking;
using Sift.Retrieval.Snippets;

namespace Sift.MicroBenchmarks;

/// <summary>
/// The per-query hot paths, each on realistic input: BM25 over SciFact (5,183 abstracts; the test queries analyzed
/// up front, one query per operation in turn), HNSW and exact search over 20,000 clustered 384-d vectors, RRF of two
/// 100-long lists, packing 10 passages into a 2,000-token budget, and one snippet.
/// </summary>
[MemoryDiagnoser]
public class HotPaths
{
    private const int Vectors = 20_000;
    private readonly EnglishTextAnalyzer _analyzer = new();
    private Bm25Index _bm25 = null!;
    private string[][] _queries = [];
    private VectorIndex _hnsw = null!;
    private float[][] _vectorQueries = [];
    private IReadOnlyList<ChunkScore>[] _rankings = [];
    private ContextAssembler _assembler = null!;
    private List<RetrievedChunk> _ranked = [];
    private SnippetBuilder _snippets = null!;
    private string _abstract = "";
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var folder = Environment.GetEnvironmentVariable("SIFT_SCIFACT") ?? throw new InvalidOperationException("set SIFT_SCIFACT to the SciFact dataset folder");
        var corpus = File.ReadLines(Path.Combine(folder, "corpus.jsonl")).Select(line =>
        {
            using var json = JsonDocument.Parse(line);
            return $"{json.RootElement.GetProperty("title").GetString()}\n{json.RootElement.GetProperty("text").GetString()}";
        }).ToList();
        _bm25 = Bm25Index.Build(corpus.Select(text => (IReadOnlyList<string>)[.. _analyzer.Analyze(text).Select(t => t.Term)]), Bm25Parameters.Default);
        _queries = [.. File.ReadLines(Path.Combine(folder, "queries.jsonl"))
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!)
            .Take(300)
            .Select(q => _analyzer.Analyze(q).Select(t => t.Term).ToArray())];

        var (data, queries) = ClusteredVectors.Generate(Vectors, 200, 384, 100, seed: 7);
        _hnsw = new VectorIndex(new VectorIndexOptions(384));
        foreach (var vector in data)
        {
            _hnsw.Add(vector);
        }

        _vectorQueries = queries;
        var random = new Random(3);
        _rankings = [.. Enumerable.Range(0, 2).Select(_ => (IReadOnlyList<ChunkScore>)[.. Enumerable.Range(0, 100)
            .Select(r => new ChunkScore(random.Next(500), $"doc{r}", 100 - r))])];

        _assembler = new ContextAssembler(ContextAssembler.DefaultTokenizer);
        _ranked = [.. corpus.Take(10).Select((text, i) => new RetrievedChunk(new StoredChunk(i, $"doc{i}", "", "", text, 0, text.Length, [], null), 10 - i, i + 1))];
        _snippets = new SnippetBuilder(_analyzer);
        _abstract = corpus[0];
    }

    [Benchmark(Description = "BM25 query, SciFact, top 100")]
    public int Bm25Query() => _bm25.Search(_queries[_next++ % _queries.Length], 100).Count;

    [Benchmark(Description = "HNSW search, 20k x 384, top 10")]
    public int HnswSearch() => _hnsw.Search(_vectorQueries[_next++ % _vectorQueries.Length], 10).Count;

    [Benchmark(Description = "exact scan, 20k x 384, top 10")]
    public int ExactScan() => _hnsw.SearchExact(_vectorQueries[_next++ % _vectorQueries.Length], 10).Count;

    [Benchmark(Description = "RRF of two 100-long lists, top 10")]
    public int Fusion() => new ReciprocalRankFusion().Fuse(_rankings, [1.0, 1.0], 10).Count;

    [Benchmark(Description = "context: 10 passages into 2,000 tokens")]
    public int ContextAssembly() => _assembler.Assemble(_ranked, 2000).Passages.Count;

    [Benchmark(Description = "snippet of one abstract")]
    public int Snippet() => _snippets.For("microRNA expression in cancer cells")(_abstract).Highlights.Count;
}
