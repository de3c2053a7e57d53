using Microsoft.Extensions.AI;
using Sift.Core;
using Sift.Models.Onnx;
using Sift.Models.Remote;
using Sift.Models.Static;

namespace Sift.Models;

/// <summary>Embedders by spec, the string a collection records so later commands and the server rebuild the same one.</summary>
public static class EmbedderCatalog
{
    /// <summary>Built in, offline: GloVe word vectors with SIF weighting.</summary>
    public const string Default = "glove";

    public const string Specs = "glove (built in, offline) | onnx:DIR | onnx-int8:DIR (a Hugging Face ONNX model folder) | openai:MODEL (an OpenAI-compatible endpoint: SIFT_OPENAI_BASE_URL, SIFT_OPENAI_API_KEY) | none (BM25 only)";

    public static IEmbeddingGenerator<string, Embedding<float>>? Create(string spec) => spec switch
    {
        "glove" => StaticWordEmbedder.Default,
        "none" => null,
        _ when spec.StartsWith("onnx:", StringComparison.Ordinal) => new OnnxEmbedder(OnnxModelFolder.Open(spec["onnx:".Length..])),
        _ when spec.StartsWith("onnx-int8:", StringComparison.Ordinal) => new OnnxEmbedder(OnnxModelFolder.Open(spec["onnx-int8:".Length..], quantized: true)),
        _ when spec.StartsWith("openai:", StringComparison.Ordinal) => new OpenAiCompatibleEmbedder(OpenAiEndpoint.FromEnvironment(spec["openai:".Length..])),
        _ => throw new SiftException($"unknown embedder '{spec}' (use glove, onnx:DIR, onnx-int8:DIR, openai:MODEL or none)"),
    };
}
