using System.Text.Json;
using Sift.Tests.Support;

namespace Sift.Tests.Cli;

/// <summary>Dense, hybrid and reranked retrieval through the real CLI, and the vector index's failure modes.</summary>
public sealed class DenseCliTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private string Store => _folder.Combine("store");

    public void Dispose() => _folder.Dispose();

    private Task<ProcessResult> Sift(params string[] args) => SiftProcess.RunAsync(Store, args);

    private async Task IngestPetsAsync(params string[] extra)
    {
        _folder.File("docs/cats.txt", "Cats are small domesticated felines that purr and hunt mice.");
        _folder.File("docs/dogs.txt", "Dogs are loyal canines that bark and fetch sticks.");
        _folder.File("docs/cars.txt", "Cars have engines, wheels and burn petrol on motorways.");
        var ingest = await Sift(["ingest", _folder.Combine("docs"), "-c", "pets", .. extra]);
        Assert.True(ingest.ExitCode == 0, ingest.Stderr);
    }

    private static List<string> Ids(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        return [.. json.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("documentId").GetString()!)];
    }

    [Fact]
    public async Task DenseSearchFindsMeaningWithoutSharedWords()
    {
        await IngestPetsAsync();
        // "automobile" occurs in no document; only the word vectors connect it to cars.
        var dense = Ids(await Sift("search", "automobile", "-c", "pets", "--mode", "dense", "-k", "1", "--json"));
        Assert.Equal(["docs/cars.txt"], dense);

        Assert.Empty(Ids(await Sift("search", "automobile", "-c", "pets", "--mode", "bm25", "--json")));
        Assert.Equal("docs/cars.txt", Ids(await Sift("search", "automobile", "-c", "pets", "--mode", "hybrid", "--json"))[0]);
        Assert.Equal("docs/dogs.txt", Ids(await Sift("search", "puppy barking", "-c", "pets", "--mode", "hybrid", "--fusion", "weighted", "--json"))[0]);
        Assert.Equal("docs/cars.txt", Ids(await Sift("search", "automobile", "-c", "pets", "--mode", "dense", "--exact", "--json"))[0]);
    }

    [Fact]
    public async Task ACollectionCannotBeQueriedOrExtendedWithAnotherEmbedder()
    {
        var model = new TinyBert().WriteEmbedder(_folder.Combine("model"), maxTokens: 64);
        await IngestPetsAsync();

        var other = await Sift("ingest", _folder.Combine("docs"), "-c", "pets", "--embedder", $"onnx:{model}");
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("holds vectors from sift-static/glove-6b-100d-sif/100", other.Stderr, StringComparison.Ordinal);

        var none = await Sift("search", "cats", "-c", "bare", "--mode", "dense");
        Assert.Contains("unknown collection", none.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnnxEmbedderAndRerankerWorkThroughTheCli()
    {
        var tiny = new TinyBert();
        var model = tiny.WriteEmbedder(_folder.Combine("model"), maxTokens: 64);
        var reranker = tiny.WriteCrossEncoder(_folder.Combine("reranker"), maxTokens: 64);
        _folder.File("docs/a.txt", "the cat sat on the mat");
        _folder.File("docs/b.txt", "the dog ran in the park");
        _folder.File("docs/c.txt", "the sun is hot");
        Assert.Equal(0, (await Sift("ingest", _folder.Combine("docs"), "-c", "tiny", "--embedder", $"onnx:{model}")).ExitCode);

        var info = await Sift("collections", "info", "tiny", "--json");
        Assert.Contains("onnx/tiny-bert@model.onnx/8", info.Stdout, StringComparison.Ordinal);

        // The collection remembers its embedder: no --embedder needed to search it.
        Assert.Equal(3, Ids(await Sift("search", "cat mat", "-c", "tiny", "--mode", "dense", "--json")).Count);

        var reranked = Ids(await Sift("search", "cat dog sun", "-c", "tiny", "--rerank", reranker, "--json"));
        var expected = new[] { ("docs/a.txt", "the cat sat on the mat"), ("docs/b.txt", "the dog ran in the park"), ("docs/c.txt", "the sun is hot") }
            .OrderByDescending(d => tiny.ExpectedLogit(["cat", "dog", "sun"], d.Item2.Split(' ')))
            .Select(d => d.Item1);
        Assert.Equal(expected, reranked);
    }

    [Fact]
    public async Task OpenAiCompatibleEmbedderIngestsAndSearchesThroughALoopbackServer()
    {
        await using var server = new LoopbackEmbeddingsServer();
        var environment = new Dictionary<string, string> { ["SIFT_OPENAI_BASE_URL"] = server.BaseUrl.ToString(), ["SIFT_OPENAI_API_KEY"] = "k" };
        _folder.File("docs/a.txt", "eeee eeee");
        _folder.File("docs/b.txt", "xx");
        var ingest = await SiftProcess.RunAsync(Store, environment, "ingest", _folder.Combine("docs"), "-c", "remote", "--embedder", "openai:test-embed");
        Assert.True(ingest.ExitCode == 0, ingest.Stderr);

        var search = await SiftProcess.RunAsync(Store, environment, "search", "eeeeeeee", "-c", "remote", "--mode", "dense", "--exact", "--json");
        Assert.Equal("docs/a.txt", Ids(search)[0]);
        Assert.True(server.Requests >= 2);
    }

    [Fact]
    public async Task CollectionSettingsBecomeTheDefaultsAndReshapeTheIndex()
    {
        await IngestPetsAsync();
        var configured = await Sift("collections", "configure", "pets", "--mode", "hybrid", "--fusion", "weighted", "--dense-weight", "0.3", "--quantize", "true", "--hnsw-m", "8");
        Assert.True(configured.ExitCode == 0, configured.Stderr);
        Assert.False(File.Exists(Path.Combine(Store, "pets", "vectors.idx")));

        var search = await Sift("search", "automobile", "-c", "pets", "--json");
        using (var json = JsonDocument.Parse(search.Stdout))
        {
            Assert.Equal("hybrid-weighted", json.RootElement.GetProperty("mode").GetString());
        }

        Assert.Equal("docs/cars.txt", Ids(search)[0]);
        Assert.True(File.Exists(Path.Combine(Store, "pets", "vectors.idx")));
        Assert.Equal("bm25", JsonDocument.Parse((await Sift("search", "cars", "-c", "pets", "--mode", "bm25", "--json")).Stdout).RootElement.GetProperty("mode").GetString());

        var invalid = await Sift("collections", "configure", "pets", "--dense-weight", "3");
        Assert.Equal(1, invalid.ExitCode);
        Assert.Contains("--dense-weight must be between 0 and 1 (got 3)", invalid.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QuantisedOnnxExportsLoadFromTheSameFolder()
    {
        var folder = new TinyBert().WriteEmbedder(_folder.Combine("model"), maxTokens: 64);
        File.Move(Path.Combine(folder, "model.onnx"), Path.Combine(folder, "model_quantized.onnx"));
        _folder.File("docs/a.txt", "the cat sat");
        Assert.Contains("missing model.onnx", (await Sift("ingest", _folder.Combine("docs"), "-c", "q", "--embedder", $"onnx:{folder}")).Stderr, StringComparison.Ordinal);
        var ingest = await Sift("ingest", _folder.Combine("docs"), "-c", "q", "--embedder", $"onnx-int8:{folder}");
        Assert.True(ingest.ExitCode == 0, ingest.Stderr);
    }

    [Fact]
    public async Task DamagedVectorIndexIsDetectedAndRebuiltWithoutLosingAnything()
    {
        await IngestPetsAsync();
        var index = Path.Combine(Store, "pets", "vectors.idx");
        var bytes = File.ReadAllBytes(index);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(index, bytes);

        var damaged = await Sift("search", "automobile", "-c", "pets", "--mode", "dense");
        Assert.Equal(1, damaged.ExitCode);
        Assert.Contains("is damaged (checksum mismatch)", damaged.Stderr, StringComparison.Ordinal);
        Assert.Contains("sift collections rebuild pets", damaged.Stderr, StringComparison.Ordinal);

        var rebuild = await Sift("collections", "rebuild", "pets", "--json");
        Assert.True(rebuild.ExitCode == 0, rebuild.Stderr);
        using (var json = JsonDocument.Parse(rebuild.Stdout))
        {
            Assert.Equal(3, json.RootElement.GetProperty("vectors").GetInt32());
        }

        Assert.Equal("docs/cars.txt", Ids(await Sift("search", "automobile", "-c", "pets", "--mode", "dense", "--json"))[0]);
    }

    [Fact]
    public async Task VectorIndexFollowsUpdatesAndDeletes()
    {
        await IngestPetsAsync();
        File.Delete(_folder.Combine("docs/cats.txt"));
        _folder.File("docs/birds.txt", "Birds have feathers and wings and sing in the morning.");
        Assert.Equal(0, (await Sift("ingest", _folder.Combine("docs"), "-c", "pets", "--prune")).ExitCode);

        var results = Ids(await Sift("search", "kitten sparrow", "-c", "pets", "--mode", "dense", "--json"));
        Assert.DoesNotContain("docs/cats.txt", results);
        Assert.Contains("docs/birds.txt", results);
        Assert.Equal(3, results.Count);
    }

    [Fact]
    public async Task EvalComparesModesOnOneCollection()
    {
        _folder.File("ds/corpus.jsonl", "{\"_id\":\"d1\",\"title\":\"Cats\",\"text\":\"cats purr\"}\n{\"_id\":\"d2\",\"title\":\"Dogs\",\"text\":\"dogs bark\"}\n");
        _folder.File("ds/queries.jsonl", "{\"_id\":\"q1\",\"text\":\"kitten\"}\n");
        _folder.File("ds/qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
        foreach (var mode in new[] { "dense", "hybrid" })
        {
            var eval = await Sift("eval", "retrieval", "--dataset", _folder.Combine("ds"), "--mode", mode, "--json");
            Assert.True(eval.ExitCode == 0, eval.Stderr);
            using var report = JsonDocument.Parse(eval.Stdout);
            Assert.Equal(1.0, report.RootElement.GetProperty("metrics").GetProperty("hit@10").GetDouble());
            Assert.StartsWith(mode, report.RootElement.GetProperty("retriever").GetString(), StringComparison.Ordinal);
        }
    }
}
