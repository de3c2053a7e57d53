using System.Text;
using System.Text.Json;

namespace Sift.Tests.Support;

/// <summary>
/// Writes real, tiny BERT-shaped ONNX models (inputs input_ids, attention_mask, token_type_ids) with a real vocab
/// file, so the ONNX paths run end to end in tests; expected outputs are computed here independently of Sift.
/// Embedder graph: last_hidden_state = (word[input_ids] + type[token_type_ids]) * attention_mask.
/// Cross-encoder graph: logits = (sum over tokens of that) x weights, shape [batch, 1].
/// </summary>
public sealed class TinyBert
{
    public const int Hidden = 8;
    public static readonly string[] Words = ["the", "cat", "sat", "on", "mat", "dog", "ran", "in", "park", "sun", "is", "hot", "what", "where", "query", "passage"];
    private static readonly string[] Special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    public TinyBert(int seed = 3)
    {
        var random = new Random(seed);
        WordEmbeddings = Enumerable.Range(0, Vocabulary.Count).Select(_ => Enumerable.Range(0, Hidden).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray()).ToArray();
        TypeEmbeddings = Enumerable.Range(0, 2).Select(_ => Enumerable.Range(0, Hidden).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray()).ToArray();
        Weights = Enumerable.Range(0, Hidden).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
    }

    public static IReadOnlyList<string> Vocabulary { get; } = [.. Special, .. Words];

    public float[][] WordEmbeddings { get; }

    public float[][] TypeEmbeddings { get; }

    public float[] Weights { get; }

    public static int Id(string token) => Vocabulary.ToList().IndexOf(token);

    /// <summary>Writes model.onnx, vocab.txt and config.json (window of <paramref name="maxTokens"/>).</summary>
    public string WriteEmbedder(string folder, int maxTokens = 8, int configHidden = Hidden, string name = "tiny-bert")
    {
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "model.onnx"), Model(crossEncoder: false));
        File.WriteAllLines(Path.Combine(folder, "vocab.txt"), Vocabulary);
        File.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["hidden_size"] = configHidden, ["max_position_embeddings"] = maxTokens, ["_name_or_path"] = name,
        }));
        return folder;
    }

    public string WriteCrossEncoder(string folder, int maxTokens = 16)
    {
        WriteEmbedder(folder, maxTokens, name: "tiny-cross-encoder");
        File.WriteAllBytes(Path.Combine(folder, "model.onnx"), Model(crossEncoder: true));
        return folder;
    }

    /// <summary>Token rows the model sees for these ids and type ids, before pooling.</summary>
    public float[] TokenVector(int id, int type) => [.. WordEmbeddings[id].Zip(TypeEmbeddings[type], (w, t) => w + t)];

    /// <summary>Mean pooling then L2 normalisation over [CLS] words [SEP].</summary>
    public float[] ExpectedEmbedding(IEnumerable<string> words)
    {
        var ids = new[] { Id("[CLS]") }.Concat(words.Select(Id)).Append(Id("[SEP]")).ToList();
        var sum = new float[Hidden];
        foreach (var id in ids)
        {
            var row = TokenVector(id, 0);
            for (var d = 0; d < Hidden; d++)
            {
                sum[d] += row[d] / ids.Count;
            }
        }

        var norm = (float)Math.Sqrt(sum.Sum(x => x * x));
        return [.. sum.Select(x => x / norm)];
    }

    public double ExpectedLogit(IEnumerable<string> query, IEnumerable<string> passage)
    {
        var tokens = new[] { (Id("[CLS]"), 0) }
            .Concat(query.Select(w => (Id(w), 0))).Append((Id("[SEP]"), 0))
            .Concat(passage.Select(w => (Id(w), 1))).Append((Id("[SEP]"), 1));
        return tokens.Sum(t => TokenVector(t.Item1, t.Item2).Zip(Weights, (x, w) => (double)x * w).Sum());
    }

    private byte[] Model(bool crossEncoder)
    {
        var graph = new Proto();
        graph.Message(1, Node(["word_embeddings", "input_ids"], ["words"], "Gather"));
        graph.Message(1, Node(["type_embeddings", "token_type_ids"], ["types"], "Gather"));
        graph.Message(1, Node(["words", "types"], ["summed"], "Add"));
        graph.Message(1, Node(["attention_mask"], ["mask_float"], "Cast", new Proto().String(1, "to").Varint(20, 2).Varint(3, 1)));
        graph.Message(1, Node(["mask_float", "axis_two"], ["mask"], "Unsqueeze"));
        graph.Message(1, Node(["summed", "mask"], ["last_hidden_state"], "Mul"));
        if (crossEncoder)
        {
            graph.Message(1, Node(["last_hidden_state", "axis_one"], ["pooled"], "ReduceSum", new Proto().String(1, "keepdims").Varint(20, 2).Varint(3, 0)));
            graph.Message(1, Node(["pooled", "classifier"], ["logits"], "MatMul"));
        }

        graph.String(2, crossEncoder ? "tiny-cross-encoder" : "tiny-bert");
        graph.Message(5, FloatTensor("word_embeddings", [WordEmbeddings.Length, Hidden], WordEmbeddings.SelectMany(r => r)));
        graph.Message(5, FloatTensor("type_embeddings", [2, Hidden], TypeEmbeddings.SelectMany(r => r)));
        graph.Message(5, LongTensor("axis_two", [1], [2]));
        graph.Message(5, LongTensor("axis_one", [1], [1]));
        if (crossEncoder)
        {
            graph.Message(5, FloatTensor("classifier", [Hidden, 1], Weights));
        }

        foreach (var input in new[] { "input_ids", "attention_mask", "token_type_ids" })
        {
            graph.Message(11, ValueInfo(input, 7, ["batch", "sequence"]));
        }

        graph.Message(12, crossEncoder ? ValueInfo("logits", 1, ["batch", 1]) : ValueInfo("last_hidden_state", 1, ["batch", "sequence", Hidden]));

        return new Proto()
            .Varint(1, 8)
            .String(2, "sift-tests")
            .Message(7, graph)
            .Message(8, new Proto().String(1, "").Varint(2, 13))
            .ToArray();
    }

    private static Proto Node(string[] inputs, string[] outputs, string op, Proto? attribute = null)
    {
        var node = new Proto();
        foreach (var input in inputs)
        {
            node.String(1, input);
        }

        foreach (var output in outputs)
        {
            node.String(2, output);
        }

        node.String(3, op + "_" + outputs[0]).String(4, op);
        return attribute is null ? node : node.Message(5, attribute);
    }

    private static Proto FloatTensor(string name, long[] dims, IEnumerable<float> values)
    {
        var tensor = new Proto();
        foreach (var dim in dims)
        {
            tensor.Varint(1, (ulong)dim);
        }

        return tensor.Varint(2, 1).String(8, name).Bytes(9, [.. values.SelectMany(BitConverter.GetBytes)]);
    }

    private static Proto LongTensor(string name, long[] dims, long[] values)
    {
        var tensor = new Proto();
        foreach (var dim in dims)
        {
            tensor.Varint(1, (ulong)dim);
        }

        return tensor.Varint(2, 7).String(8, name).Bytes(9, [.. values.SelectMany(BitConverter.GetBytes)]);
    }

    private static Proto ValueInfo(string name, int elementType, object[] dims)
    {
        var shape = new Proto();
        foreach (var dim in dims)
        {
            shape.Message(1, dim is string symbol ? new Proto().String(2, symbol) : new Proto().Varint(1, (ulong)(int)dim));
        }

        var tensorType = new Proto().Varint(1, (ulong)elementType).Message(2, shape);
        return new Proto().String(1, name).Message(2, new Proto().Message(1, tensorType));
    }

    /// <summary>Just enough protobuf wire format to write an ONNX ModelProto.</summary>
    private sealed class Proto
    {
        private readonly MemoryStream _bytes = new();

        public Proto Varint(int field, ulong value)
        {
            Key(field, 0);
            Write(value);
            return this;
        }

        public Proto String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public Proto Message(int field, Proto message) => Bytes(field, message.ToArray());

        public Proto Bytes(int field, byte[] value)
        {
            Key(field, 2);
            Write((ulong)value.Length);
            _bytes.Write(value);
            return this;
        }

        public byte[] ToArray() => _bytes.ToArray();

        private void Key(int field, int wireType) => Write((ulong)((field << 3) | wireType));

        private void Write(ulong value)
        {
            do
            {
                var next = (byte)(value & 0x7F);
                value >>= 7;
                _bytes.WriteByte(value == 0 ? next : (byte)(next | 0x80));
            }
            while (value != 0);
        }
    }
}
