using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Sift.Core;

namespace Sift.Models.Onnx;

/// <summary>One tokenized input: token ids and (for sentence pairs) token type ids.</summary>
internal sealed record TokenizedInput(int[] Ids, int[]? TypeIds);

/// <summary>
/// An ONNX Runtime session over a BERT-shaped model (inputs input_ids, attention_mask and optionally
/// token_type_ids). Inputs are run in batches of similar length, so little compute is spent on padding.
/// </summary>
internal sealed class BertSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly bool _takesTokenTypes;

    public BertSession(string modelPath)
    {
        try
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            _session = new InferenceSession(modelPath, options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new SiftException($"{modelPath} cannot be loaded by ONNX Runtime ({ex.Message.Split('\n')[0]})", ex);
        }

        var inputs = _session.InputMetadata.Keys.ToHashSet(StringComparer.Ordinal);
        if (!inputs.Contains("input_ids") || !inputs.Contains("attention_mask"))
        {
            _session.Dispose();
            throw new SiftException($"{modelPath} is not a BERT-style model: its inputs are {string.Join(", ", inputs)} (need input_ids and attention_mask)");
        }

        _takesTokenTypes = inputs.Contains("token_type_ids");
    }

    /// <summary>
    /// Runs every input and hands each one's slice of the first output to <paramref name="read"/>: for a
    /// [batch, tokens, hidden] output the input's token rows; for [batch, n] its row.
    /// </summary>
    public void Run(IReadOnlyList<TokenizedInput> inputs, int batchSize, Action<int, ReadOnlySpan<float>, int[]> read)
    {
        var order = Enumerable.Range(0, inputs.Count).OrderBy(i => inputs[i].Ids.Length).ToArray();
        for (var start = 0; start < order.Length; start += batchSize)
        {
            var batch = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
            RunBatch(inputs, batch, read);
        }
    }

    private void RunBatch(IReadOnlyList<TokenizedInput> inputs, int[] batch, Action<int, ReadOnlySpan<float>, int[]> read)
    {
        var length = batch.Max(i => inputs[i].Ids.Length);
        var ids = new long[batch.Length * length];
        var mask = new long[batch.Length * length];
        var types = new long[batch.Length * length];
        for (var row = 0; row < batch.Length; row++)
        {
            var input = inputs[batch[row]];
            for (var t = 0; t < input.Ids.Length; t++)
            {
                ids[(row * length) + t] = input.Ids[t];
                mask[(row * length) + t] = 1;
                types[(row * length) + t] = input.TypeIds?[t] ?? 0;
            }
        }

        int[] shape = [batch.Length, length];
        var feeds = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, shape)),
        };
        if (_takesTokenTypes)
        {
            feeds.Add(NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(types, shape)));
        }

        using var results = _session.Run(feeds);
        var output = results[0].AsTensor<float>();
        var dimensions = output.Dimensions.ToArray();
        var values = output.ToArray();
        var perRow = values.Length / batch.Length;
        for (var row = 0; row < batch.Length; row++)
        {
            read(batch[row], values.AsSpan(row * perRow, perRow), dimensions);
        }
    }

    public void Dispose() => _session.Dispose();
}
