using System.IO.Compression;
using System.Text;
using Sift.Core;
using Sift.Core.Vectors;

namespace Sift.Models.Static;

/// <summary>A word, its rank in the source vocabulary (0 = most frequent) and its vector.</summary>
public sealed record WordVector(string Word, int Rank, float[] Values);

/// <summary>
/// Sift's compact word-vector file: gzip of a header, the common discourse component, then per word its text, rank,
/// and int8 codes with one scale.
/// </summary>
public static class WordVectorFile
{
    private const string Magic = "SIFTWV01";

    /// <summary>Vocabulary size of GloVe 6B, for the Zipf estimate of word probabilities.</summary>
    private const int SourceVocabulary = 400_000;

    /// <summary>SIF's smoothing constant a in a / (a + p(w)).</summary>
    public const double SifA = 1e-3;

    /// <summary>
    /// Estimated unigram probability of the word at <paramref name="rank"/> by Zipf's law, normalised over the source
    /// vocabulary (GloVe ships no counts; ranks are what it has).
    /// </summary>
    public static double Probability(int rank) => 1.0 / ((rank + 1) * (Math.Log(SourceVocabulary) + 0.5772156649));

    public static float SifWeight(int rank) => (float)(SifA / (SifA + Probability(rank)));

    public static void Write(string path, int dimensions, float[] component, IReadOnlyList<WordVector> words)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.SmallestSize);
        using var writer = new BinaryWriter(gzip, Encoding.UTF8);
        writer.Write(Encoding.ASCII.GetBytes(Magic));
        writer.Write(words.Count);
        writer.Write(dimensions);
        foreach (var value in component)
        {
            writer.Write(value);
        }

        var codes = new sbyte[dimensions];
        foreach (var word in words)
        {
            writer.Write(word.Word);
            writer.Write(word.Rank);
            writer.Write(VectorMath.Quantize(word.Values, codes));
            foreach (var code in codes)
            {
                writer.Write(code);
            }
        }
    }

    public static WordVectorTable Read(Stream source, string description)
    {
        try
        {
            using var gzip = new GZipStream(source, CompressionMode.Decompress);
            using var reader = new BinaryReader(gzip, Encoding.UTF8);
            if (Encoding.ASCII.GetString(reader.ReadBytes(Magic.Length)) != Magic)
            {
                throw new SiftException($"{description} is not a Sift word-vector file");
            }

            var count = reader.ReadInt32();
            var dimensions = reader.ReadInt32();
            var component = new float[dimensions];
            for (var d = 0; d < dimensions; d++)
            {
                component[d] = reader.ReadSingle();
            }

            var words = new Dictionary<string, int>(count, StringComparer.Ordinal);
            var vectors = new float[count * dimensions];
            var weights = new float[count];
            for (var i = 0; i < count; i++)
            {
                words[reader.ReadString()] = i;
                weights[i] = SifWeight(reader.ReadInt32());
                var scale = reader.ReadSingle();
                for (var d = 0; d < dimensions; d++)
                {
                    vectors[(i * dimensions) + d] = reader.ReadSByte() * scale;
                }
            }

            return new WordVectorTable(dimensions, words, vectors, weights, component);
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException)
        {
            throw new SiftException($"{description} is damaged ({ex.Message})", ex);
        }
    }

    /// <summary>
    /// The first principal direction of SIF sentence embeddings under a unigram model of sentences of about 20 words
    /// (uncentred second moment, by power iteration): Arora et al.'s common component, estimated from the vocabulary
    /// itself so that it does not depend on any one corpus.
    /// </summary>
    public static float[] CommonComponent(IReadOnlyList<WordVector> words, int dimensions, int sentenceLength = 20)
    {
        var mean = new double[dimensions];
        var second = new double[dimensions, dimensions];
        var total = 0.0;
        foreach (var word in words)
        {
            var p = Probability(word.Rank);
            var weight = SifWeight(word.Rank);
            total += p;
            for (var i = 0; i < dimensions; i++)
            {
                var xi = weight * word.Values[i];
                mean[i] += p * xi;
                for (var j = 0; j < dimensions; j++)
                {
                    second[i, j] += p * xi * weight * word.Values[j];
                }
            }
        }

        var moment = new double[dimensions, dimensions];
        for (var i = 0; i < dimensions; i++)
        {
            for (var j = 0; j < dimensions; j++)
            {
                var mu = mean[i] / total * (mean[j] / total);
                moment[i, j] = mu + ((second[i, j] / total) - mu) / sentenceLength;
            }
        }

        var vector = mean.Select(m => m / total).ToArray();
        for (var iteration = 0; iteration < 200; iteration++)
        {
            var next = new double[dimensions];
            for (var i = 0; i < dimensions; i++)
            {
                for (var j = 0; j < dimensions; j++)
                {
                    next[i] += moment[i, j] * vector[j];
                }
            }

            var norm = Math.Sqrt(next.Sum(x => x * x));
            vector = [.. next.Select(x => x / norm)];
        }

        return [.. vector.Select(x => (float)x)];
    }
}

/// <summary>Word vectors loaded for lookup: dense float rows, SIF weights and the common component.</summary>
public sealed class WordVectorTable(int dimensions, Dictionary<string, int> words, float[] vectors, float[] weights, float[] component)
{
    public int Dimensions { get; } = dimensions;

    public int Count => words.Count;

    public float[] CommonComponent { get; } = component;

    public bool TryGet(string word, out ReadOnlySpan<float> vector, out float weight)
    {
        if (words.TryGetValue(word, out var index))
        {
            vector = vectors.AsSpan(index * Dimensions, Dimensions);
            weight = weights[index];
            return true;
        }

        vector = default;
        weight = 0;
        return false;
    }
}
