using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Sift.Core;
using Sift.Core.Stages;

namespace Sift.Models.Onnx;

/// <summary>
/// Sentence embeddings from a BERT-family ONNX model run locally (bge, MiniLM, e5, gte): WordPiece tokens, the
/// model's query or document prefix, truncation at its window, mean or CLS pooling over real tokens, L2
/// normalisation, batches grouped by length. int8-quantised exports run the same way.
/// </summary>
public sealed class OnnxEmbedder : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly OnnxModelFolder _model;
    private readonly BertSession _session;
    private readonly int _batchSize;
    private readonly EmbeddingGeneratorMetadata _metadata;

    public OnnxEmbedder(OnnxModelFolder model, int batchSize = 32)
    {
        _model = model;
        _batchSize = batchSize;
        _session = new BertSession(model.ModelPath);
        _metadata = new EmbeddingGeneratorMetadata("onnx", null, $"{model.Name}@{Path.GetFileName(model.ModelPath)}", model.HiddenSize);
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var isQuery = Embedders.IsQuery(options);
        var inputs = values.Select(text => new TokenizedInput(Tokenize(text, isQuery), null)).ToList();
        var vectors = new float[inputs.Count][];
        _session.Run(inputs, _batchSize, (i, output, shape) => vectors[i] = Pool(output, shape, inputs[i].Ids.Length));
        cancellationToken.ThrowIfCancellationRequested();
        var embeddings = new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v) { ModelId = _metadata.DefaultModelId }));
        return Task.FromResult(embeddings);
    }

    /// <summary>
    /// [CLS] prefix+text [SEP], at most the model's window. A document is truncated; a query that does not fit is an
    /// error, since answering a different question than was asked would be worse.
    /// </summary>
    private int[] Tokenize(string text, bool isQuery)
    {
        var prefixed = (isQuery ? _model.QueryPrefix : _model.DocumentPrefix) + text;
        var room = _model.MaxTokens - 2;
        var ids = _model.Tokenizer.EncodeToIds(prefixed, room + 1, addSpecialTokens: false, out _, out _);
        if (ids.Count > room)
        {
            if (isQuery)
            {
                var full = _model.Tokenizer.EncodeToIds(prefixed, addSpecialTokens: false).Count;
                throw new SiftException($"the query is {full} tokens long; {_model.Name} reads at most {room}");
            }

            ids = [.. ids.Take(room)];
        }

        return [.. _model.Tokenizer.BuildInputsWithSpecialTokens(ids)];
    }

    private float[] Pool(ReadOnlySpan<float> output, int[] shape, int tokens)
    {
        var hidden = shape[^1];
        if (hidden != _model.HiddenSize)
        {
            throw new SiftException($"{_model.ModelPath} outputs {hidden}-dimensional vectors but config.json says hidden_size {_model.HiddenSize}");
        }

        var vector = new float[hidden];
        if (shape.Length == 2 || _model.Pooling == Pooling.Cls)
        {
            output[..hidden].CopyTo(vector);
        }
        else
        {
            for (var t = 0; t < tokens; t++)
            {
                TensorPrimitives.Add(vector, output.Slice(t * hidden, hidden), vector);
            }

            TensorPrimitives.Divide(vector, tokens, vector);
        }

        if (_model.Normalize)
        {
            Core.Vectors.VectorMath.Normalize(vector);
        }

        return vector;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(_metadata) ? _metadata
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose() => _session.Dispose();
}
