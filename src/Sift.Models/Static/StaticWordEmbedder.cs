using System.Numerics.Tensors;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Sift.Models.Static;

/// <summary>
/// Offline sentence embeddings from static word vectors (GloVe 6B, 100-d) with smooth inverse frequency weighting
/// and common-component removal (Arora, Liang and Ma 2017, "A simple but tough-to-beat baseline for sentence
/// embeddings"). No model download, microseconds per text; quality far below transformer embedders.
/// </summary>
public sealed partial class StaticWordEmbedder : IEmbeddingGenerator<string, Embedding<float>>
{
    public const string ModelId = "glove-6b-100d-sif";
    private const string ResourceName = "glove-6b-100d-50k.siftwv";

    private static readonly Lazy<StaticWordEmbedder> Bundled = new(() =>
    {
        using var stream = typeof(StaticWordEmbedder).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new Core.SiftException($"the bundled word vectors ({ResourceName}) are missing from this build of Sift");
        return new StaticWordEmbedder(WordVectorFile.Read(stream, ResourceName));
    });

    private readonly WordVectorTable _table;
    private readonly EmbeddingGeneratorMetadata _metadata;

    public StaticWordEmbedder(WordVectorTable table)
    {
        _table = table;
        _metadata = new EmbeddingGeneratorMetadata("sift-static", null, ModelId, table.Dimensions);
    }

    /// <summary>The embedder over the word vectors shipped inside Sift.</summary>
    public static StaticWordEmbedder Default => Bundled.Value;

    public int Dimensions => _table.Dimensions;

    /// <summary>Whether a vocabulary entry is a token this embedder's tokenizer can produce.</summary>
    public static bool IsWordToken(string token) => WordOnly().IsMatch(token);

    public float[] Embed(string text)
    {
        var sum = new float[Dimensions];
        foreach (Match match in Word().Matches(text.ToLowerInvariant()))
        {
            if (_table.TryGet(match.Value, out var vector, out var weight))
            {
                TensorPrimitives.MultiplyAdd(vector, weight, sum, sum);
            }
        }

        // Remove the projection on the common component, then normalise (a text with no known word stays zero).
        var projection = TensorPrimitives.Dot(sum, _table.CommonComponent);
        TensorPrimitives.MultiplyAdd(_table.CommonComponent, -projection, sum, sum);
        var norm = TensorPrimitives.Norm(sum);
        if (norm > 0)
        {
            TensorPrimitives.Divide(sum, norm, sum);
        }

        return sum;
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var embeddings = new GeneratedEmbeddings<Embedding<float>>(values.Select(v => new Embedding<float>(Embed(v)) { ModelId = ModelId }));
        return Task.FromResult(embeddings);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(_metadata) ? _metadata
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Word();

    [GeneratedRegex(@"^[\p{Ll}\p{N}]+$")]
    private static partial Regex WordOnly();
}
