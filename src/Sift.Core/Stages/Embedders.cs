using Microsoft.Extensions.AI;
using Sift.Core.Documents;

namespace Sift.Core.Stages;

/// <summary>
/// Conventions for Sift's embedders, which are Microsoft.Extensions.AI <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>s:
/// a stable identity (so vectors of different models never mix in one index) and query/document input kinds (so
/// models with prefixes, such as e5's "query: ", get the right one).
/// </summary>
public static class Embedders
{
    private const string InputKindKey = "sift.input_kind";

    public static EmbeddingGenerationOptions ForQueries { get; } = Options("query");

    public static EmbeddingGenerationOptions ForDocuments { get; } = Options("document");

    /// <summary>True when the options mark the inputs as search queries rather than documents.</summary>
    public static bool IsQuery(EmbeddingGenerationOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(InputKindKey, out var kind) == true && kind as string == "query";

    /// <summary>"provider/model/dimensions", from the generator's metadata.</summary>
    public static string Identity(IEmbeddingGenerator<string, Embedding<float>> embedder)
    {
        var metadata = embedder.GetService<EmbeddingGeneratorMetadata>();
        return $"{metadata?.ProviderName ?? "unknown"}/{metadata?.DefaultModelId ?? "unknown"}/{metadata?.DefaultModelDimensions?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}";
    }

    /// <summary>Embeds texts and returns the raw vectors, in order.</summary>
    public static async Task<float[][]> EmbedAsync(
        this IEmbeddingGenerator<string, Embedding<float>> embedder, IReadOnlyList<string> texts, EmbeddingGenerationOptions options,
        CancellationToken cancellationToken = default)
    {
        if (texts.Count == 0)
        {
            return [];
        }

        var generated = await embedder.GenerateAsync(texts, options, cancellationToken).ConfigureAwait(false);
        if (generated.Count != texts.Count)
        {
            throw new SiftException($"embedder {Identity(embedder)} returned {generated.Count} vectors for {texts.Count} texts");
        }

        return [.. generated.Select(e => e.Vector.ToArray())];
    }

    /// <summary>Chunks embedded per model call: the model's input texts (title + chunk) exist for one group at a time.</summary>
    public const int ChunkGroupSize = 256;

    /// <summary>
    /// The batch with a vector for every chunk: vectors already given are kept, the rest are embedded a group at a
    /// time (title and chunk text, as documents), with <paramref name="progress"/> told the chunks embedded so far.
    /// </summary>
    public static async Task<IReadOnlyList<DocumentChunks>> EmbedChunksAsync(
        this IEmbeddingGenerator<string, Embedding<float>> embedder, IReadOnlyList<DocumentChunks> batch, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var vectors = batch.Select(d => d.Vectors is { } given && given.Count == d.Chunks.Count ? given.ToArray() : new float[]?[d.Chunks.Count]).ToArray();
        var missing = new List<(int Document, int Chunk)>();
        for (var i = 0; i < batch.Count; i++)
        {
            missing.AddRange(Enumerable.Range(0, vectors[i].Length).Where(c => vectors[i][c] is null).Select(c => (i, c)));
        }

        var done = 0;
        foreach (var group in missing.Chunk(ChunkGroupSize))
        {
            var texts = group.Select(m => ModelText.Of(batch[m.Document].Document.Title, batch[m.Document].Chunks[m.Chunk].Text)).ToList();
            var embedded = await embedder.EmbedAsync(texts, ForDocuments, cancellationToken).ConfigureAwait(false);
            for (var k = 0; k < group.Length; k++)
            {
                vectors[group[k].Document][group[k].Chunk] = embedded[k];
            }

            progress?.Report(done += group.Length);
        }

        return [.. batch.Select((d, i) => d with { Vectors = vectors[i] })];
    }

    private static EmbeddingGenerationOptions Options(string kind) =>
        new() { AdditionalProperties = new AdditionalPropertiesDictionary { [InputKindKey] = kind } };
}
