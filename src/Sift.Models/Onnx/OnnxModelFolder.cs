using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;
using Sift.Core;

namespace Sift.Models.Onnx;

/// <summary>How token vectors become one text vector.</summary>
public enum Pooling
{
    Mean,
    Cls,
}

/// <summary>
/// A model folder in the Hugging Face ONNX export layout (as published for bge-small-en-v1.5, all-MiniLM-L6-v2,
/// e5-small-v2, gte-small, ms-marco-MiniLM cross-encoders): <c>model.onnx</c> (or <c>onnx/model.onnx</c>, or the
/// int8 <c>model_quantized.onnx</c>), <c>vocab.txt</c> or <c>tokenizer.json</c>, <c>config.json</c>, and the
/// sentence-transformers pooling and normalisation settings when present. An optional <c>sift.json</c> overrides
/// pooling, normalisation and the query/document prefixes.
/// </summary>
public sealed class OnnxModelFolder
{
    private OnnxModelFolder(string folder, string modelPath, BertTokenizer tokenizer, int hiddenSize, int maxTokens, Pooling pooling, bool normalize, string queryPrefix, string documentPrefix, string name)
    {
        Folder = folder;
        ModelPath = modelPath;
        Tokenizer = tokenizer;
        HiddenSize = hiddenSize;
        MaxTokens = maxTokens;
        Pooling = pooling;
        Normalize = normalize;
        QueryPrefix = queryPrefix;
        DocumentPrefix = documentPrefix;
        Name = name;
    }

    public string Folder { get; }

    public string ModelPath { get; }

    public BertTokenizer Tokenizer { get; }

    public int HiddenSize { get; }

    /// <summary>Longest input in tokens, special tokens included; longer inputs are truncated.</summary>
    public int MaxTokens { get; }

    public Pooling Pooling { get; }

    public bool Normalize { get; }

    public string QueryPrefix { get; }

    public string DocumentPrefix { get; }

    /// <summary>The model's name (from config.json's _name_or_path, else the folder name).</summary>
    public string Name { get; }

    public static OnnxModelFolder Open(string folder, bool quantized = false)
    {
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder))
        {
            throw new SiftException($"model folder not found: {folder}");
        }

        var modelPath = FirstExisting(folder, quantized
            ? ["model_quantized.onnx", "onnx/model_quantized.onnx", "model_int8.onnx", "onnx/model_int8.onnx"]
            : ["model.onnx", "onnx/model.onnx"]);
        var configPath = Path.Combine(folder, "config.json");
        var vocabPath = FirstExisting(folder, ["vocab.txt"]);
        var tokenizerJson = FirstExisting(folder, ["tokenizer.json"]);
        var missing = new List<string>();
        if (modelPath is null)
        {
            missing.Add(quantized ? "model_quantized.onnx" : "model.onnx");
        }

        if (!File.Exists(configPath))
        {
            missing.Add("config.json");
        }

        if (vocabPath is null && tokenizerJson is null)
        {
            missing.Add("vocab.txt or tokenizer.json");
        }

        if (missing.Count > 0)
        {
            throw new SiftException($"model folder {folder} is missing {string.Join(", ", missing)}");
        }

        using var config = ReadJson(configPath);
        var hiddenSize = IntProperty(config.RootElement, "hidden_size") ?? IntProperty(config.RootElement, "dim")
            ?? throw new SiftException($"{configPath} has no hidden_size");
        var maxPositions = IntProperty(config.RootElement, "max_position_embeddings") ?? 512;
        var name = StringProperty(config.RootElement, "_name_or_path") is { Length: > 0 } n ? n : Path.GetFileName(folder);

        var lowerCase = true;
        var tokenizerConfig = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(tokenizerConfig))
        {
            using var json = ReadJson(tokenizerConfig);
            if (json.RootElement.TryGetProperty("do_lower_case", out var lower) && lower.ValueKind is JsonValueKind.False)
            {
                lowerCase = false;
            }

            maxPositions = Math.Min(maxPositions, IntProperty(json.RootElement, "model_max_length") is { } max and > 0 and < 100_000 ? max : maxPositions);
        }

        var tokenizer = CreateTokenizer(vocabPath, tokenizerJson!, lowerCase);
        var (pooling, normalize) = SentenceTransformerSettings(folder);
        var (queryPrefix, documentPrefix) = DefaultPrefixes(name);

        var siftJson = Path.Combine(folder, "sift.json");
        if (File.Exists(siftJson))
        {
            using var json = ReadJson(siftJson);
            var root = json.RootElement;
            pooling = StringProperty(root, "pooling") switch
            {
                null => pooling,
                "cls" => Pooling.Cls,
                "mean" => Pooling.Mean,
                var other => throw new SiftException($"{siftJson}: pooling must be \"mean\" or \"cls\" (got \"{other}\")"),
            };
            normalize = root.TryGetProperty("normalize", out var norm) ? norm.GetBoolean() : normalize;
            queryPrefix = StringProperty(root, "query_prefix") ?? queryPrefix;
            documentPrefix = StringProperty(root, "document_prefix") ?? documentPrefix;
        }

        return new OnnxModelFolder(folder, modelPath!, tokenizer, hiddenSize, maxPositions, pooling, normalize, queryPrefix, documentPrefix, name);
    }

    private static BertTokenizer CreateTokenizer(string? vocabPath, string tokenizerJson, bool lowerCase)
    {
        var options = new BertOptions { LowerCaseBeforeTokenization = lowerCase };
        if (vocabPath is not null)
        {
            return BertTokenizer.Create(vocabPath, options);
        }

        // tokenizer.json (WordPiece): rebuild vocab.txt from model.vocab, one token per line in id order.
        using var json = ReadJson(tokenizerJson);
        if (!json.RootElement.TryGetProperty("model", out var model) || !model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
        {
            throw new SiftException($"{tokenizerJson} has no WordPiece model.vocab; provide vocab.txt");
        }

        var tokens = vocab.EnumerateObject().OrderBy(p => p.Value.GetInt32()).Select(p => p.Name);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', tokens) + "\n"));
        return BertTokenizer.Create(stream, options);
    }

    /// <summary>Pooling and normalisation from sentence-transformers' 1_Pooling/config.json and modules.json.</summary>
    private static (Pooling Pooling, bool Normalize) SentenceTransformerSettings(string folder)
    {
        var pooling = Pooling.Mean;
        var poolingConfig = Path.Combine(folder, "1_Pooling", "config.json");
        if (File.Exists(poolingConfig))
        {
            using var json = ReadJson(poolingConfig);
            if (json.RootElement.TryGetProperty("pooling_mode_cls_token", out var cls) && cls.ValueKind == JsonValueKind.True)
            {
                pooling = Pooling.Cls;
            }
        }

        var modules = Path.Combine(folder, "modules.json");
        var normalize = !File.Exists(modules) || File.ReadAllText(modules).Contains("Normalize", StringComparison.Ordinal);
        return (pooling, normalize);
    }

    /// <summary>The prefixes the e5 and bge model cards ask for; none for other models.</summary>
    private static (string Query, string Document) DefaultPrefixes(string name)
    {
        var lower = name.ToLowerInvariant();
        return lower.Contains("e5", StringComparison.Ordinal) ? ("query: ", "passage: ")
            : lower.Contains("bge", StringComparison.Ordinal) && lower.Contains("en", StringComparison.Ordinal) ? ("Represent this sentence for searching relevant passages: ", "")
            : ("", "");
    }

    private static string? FirstExisting(string folder, string[] candidates) =>
        candidates.Select(c => Path.Combine(folder, c)).FirstOrDefault(File.Exists);

    private static JsonDocument ReadJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new SiftException($"{path} is not valid JSON ({ex.Message})", ex);
        }
    }

    private static int? IntProperty(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : null;

    private static string? StringProperty(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
