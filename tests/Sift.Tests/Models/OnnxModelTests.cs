using System.Text.Json;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Models.Onnx;
using Sift.Tests.Support;

namespace Sift.Tests.Models;

/// <summary>The ONNX embedder and cross-encoder, end to end on tiny real ONNX models written by the test.</summary>
public sealed class OnnxModelTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly TinyBert _model = new();

    public void Dispose() => _folder.Dispose();

    private async Task<float[][]> EmbedAsync(OnnxEmbedder embedder, string[] texts, bool query = false) =>
        await embedder.EmbedAsync(texts, query ? Embedders.ForQueries : Embedders.ForDocuments, TestContext.Current.CancellationToken);

    [Fact]
    public async Task MeanPooledNormalisedEmbeddingsMatchAnIndependentComputation()
    {
        using var embedder = new OnnxEmbedder(OnnxModelFolder.Open(_model.WriteEmbedder(_folder.Combine("m"))), batchSize: 2);
        string[] texts = ["the cat sat", "dog ran", "the sun is hot", "cat"];

        var vectors = await EmbedAsync(embedder, texts);

        Assert.Equal(4, vectors.Length);
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(TinyBert.Hidden, vectors[i].Length);
            var expected = _model.ExpectedEmbedding(texts[i].Split(' '));
            Assert.All(expected.Zip(vectors[i]), p => Assert.Equal(p.First, p.Second, 1e-5));
            Assert.Equal(1.0, Math.Sqrt(vectors[i].Sum(x => x * x)), 1e-5);
        }
    }

    [Fact]
    public async Task BatchingAndPaddingDoNotChangeResults()
    {
        using var embedder = new OnnxEmbedder(OnnxModelFolder.Open(_model.WriteEmbedder(_folder.Combine("m"))), batchSize: 3);
        string[] texts = ["cat", "the dog ran in the park", "sun", "the cat sat on mat"];
        var together = await EmbedAsync(embedder, texts);
        foreach (var (text, vector) in texts.Zip(together))
        {
            var alone = (await EmbedAsync(embedder, [text]))[0];
            Assert.All(alone.Zip(vector), p => Assert.Equal(p.First, p.Second, 1e-5));
        }
    }

    [Fact]
    public async Task DocumentsAreTruncatedToTheWindowButLongQueriesAreRefused()
    {
        using var embedder = new OnnxEmbedder(OnnxModelFolder.Open(_model.WriteEmbedder(_folder.Combine("m"), maxTokens: 8)));
        var words = "the cat sat on the mat in the park".Split(' ');   // 9 words; the window holds 6 plus [CLS], [SEP]

        var document = (await EmbedAsync(embedder, [string.Join(' ', words)]))[0];
        var expected = _model.ExpectedEmbedding(words.Take(6));
        Assert.All(expected.Zip(document), p => Assert.Equal(p.First, p.Second, 1e-5));

        var error = await Assert.ThrowsAsync<SiftException>(() => EmbedAsync(embedder, [string.Join(' ', words)], query: true));
        Assert.Contains("at most 6", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClsPoolingAndPrefixesFollowTheModelFolder()
    {
        var folder = _model.WriteEmbedder(_folder.Combine("m"), maxTokens: 16);
        Directory.CreateDirectory(Path.Combine(folder, "1_Pooling"));
        File.WriteAllText(Path.Combine(folder, "1_Pooling", "config.json"), """{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}""");
        File.WriteAllText(Path.Combine(folder, "sift.json"), """{"query_prefix": "query ", "document_prefix": "passage "}""");
        using var embedder = new OnnxEmbedder(OnnxModelFolder.Open(folder));

        var query = (await EmbedAsync(embedder, ["cat"], query: true))[0];
        var document = (await EmbedAsync(embedder, ["cat"]))[0];

        // CLS pooling: the [CLS] row alone, normalised; prefixes change the input but not the [CLS] row in this model.
        var cls = _model.TokenVector(TinyBert.Id("[CLS]"), 0);
        var norm = (float)Math.Sqrt(cls.Sum(x => x * x));
        Assert.All(cls.Zip(query), p => Assert.Equal(p.First / norm, p.Second, 1e-5));
        Assert.Equal(query, document);

        File.Delete(Path.Combine(folder, "1_Pooling", "config.json"));
        using var mean = new OnnxEmbedder(OnnxModelFolder.Open(folder));
        var prefixed = (await EmbedAsync(mean, ["cat"], query: true))[0];
        Assert.All(_model.ExpectedEmbedding(["query", "cat"]).Zip(prefixed), p => Assert.Equal(p.First, p.Second, 1e-5));
    }

    [Fact]
    public async Task TokenizerJsonWorksInPlaceOfVocabTxt()
    {
        var folder = _model.WriteEmbedder(_folder.Combine("m"));
        File.Delete(Path.Combine(folder, "vocab.txt"));
        var vocab = TinyBert.Vocabulary.Select((token, id) => (token, id)).ToDictionary(p => p.token, p => p.id);
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), JsonSerializer.Serialize(new { model = new { type = "WordPiece", vocab } }));
        using var embedder = new OnnxEmbedder(OnnxModelFolder.Open(folder));
        var vector = (await EmbedAsync(embedder, ["dog ran"]))[0];
        Assert.All(_model.ExpectedEmbedding(["dog", "ran"]).Zip(vector), p => Assert.Equal(p.First, p.Second, 1e-5));
    }

    [Fact]
    public async Task MissingFilesAndMismatchedDimensionsAreClearErrors()
    {
        var folder = _model.WriteEmbedder(_folder.Combine("m"));
        File.Delete(Path.Combine(folder, "vocab.txt"));
        File.Delete(Path.Combine(folder, "config.json"));
        var missing = Assert.Throws<SiftException>(() => OnnxModelFolder.Open(folder));
        Assert.Contains("missing config.json, vocab.txt or tokenizer.json", missing.Message, StringComparison.Ordinal);

        Assert.Contains("not found", Assert.Throws<SiftException>(() => OnnxModelFolder.Open(_folder.Combine("none"))).Message, StringComparison.Ordinal);

        var wrong = _model.WriteEmbedder(_folder.Combine("wrong"), configHidden: 16);
        using var embedder = new OnnxEmbedder(OnnxModelFolder.Open(wrong));
        var mismatch = await Assert.ThrowsAsync<SiftException>(() => EmbedAsync(embedder, ["cat"]));
        Assert.Contains("hidden_size 16", mismatch.Message, StringComparison.Ordinal);

        File.WriteAllBytes(Path.Combine(wrong, "model.onnx"), [1, 2, 3]);
        Assert.Contains("cannot be loaded", Assert.Throws<SiftException>(() => new OnnxEmbedder(OnnxModelFolder.Open(wrong))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CrossEncoderScoresPairsAndReordersCandidates()
    {
        using var reranker = new OnnxCrossEncoder(OnnxModelFolder.Open(_model.WriteCrossEncoder(_folder.Combine("ce"))), batchSize: 2);
        string[] passages = ["the cat sat on mat", "dog ran", "sun is hot", "the park"];
        var candidates = passages.Select((p, i) => new RetrievedChunk(
            new StoredChunk(i + 1, $"d{i}", "src", "", p, 0, p.Length, [], null), 1.0 / (i + 1), i + 1)).ToList();

        var reranked = await reranker.RerankAsync("where cat", candidates, TestContext.Current.CancellationToken);

        var expected = passages
            .Select((p, i) => (Id: i + 1L, Logit: _model.ExpectedLogit(["where", "cat"], p.Split(' '))))
            .OrderByDescending(p => p.Logit)
            .ToList();
        Assert.Equal(expected.Select(e => e.Id), reranked.Select(r => r.Chunk.Id));
        Assert.All(expected.Zip(reranked), p => Assert.Equal(p.First.Logit, p.Second.Score, 1e-4));
        Assert.Equal([1, 2, 3, 4], reranked.Select(r => r.Rank));
    }
}
