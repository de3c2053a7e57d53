using Microsoft.Extensions.AI;

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

    private static EmbeddingGenerationOptions Options(string kind) =>
        new() { AdditionalProperties = new AdditionalPropertiesDictionary { [InputKindKey] = kind } };
}
