using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;
using EmbeddingClient = OpenAI.Embeddings.EmbeddingClient;
using Sift.Core;

namespace Sift.Models.Remote;

/// <summary>Where and how to reach an OpenAI-compatible <c>/v1/embeddings</c> endpoint (OpenAI, vLLM, Ollama, LM Studio...).</summary>
/// <param name="ApiKey">From the environment or a secrets file only; never logged.</param>
public sealed record OpenAiEndpoint(Uri BaseUrl, string Model, string? ApiKey, int BatchSize = 128, int MaxRetries = 3, TimeSpan? Timeout = null)
{
    public static Uri DefaultBaseUrl { get; } = new("https://api.openai.com/v1");

    /// <summary>Base URL from SIFT_OPENAI_BASE_URL, key from SIFT_OPENAI_API_KEY or OPENAI_API_KEY.</summary>
    public static OpenAiEndpoint FromEnvironment(string model) => new(
        Environment.GetEnvironmentVariable("SIFT_OPENAI_BASE_URL") is { Length: > 0 } url ? new Uri(url) : DefaultBaseUrl,
        model,
        Environment.GetEnvironmentVariable("SIFT_OPENAI_API_KEY") ?? Environment.GetEnvironmentVariable("OPENAI_API_KEY"));
}

/// <summary>
/// Remote embeddings through Microsoft.Extensions.AI's OpenAI adapter: inputs split into batches, retries with
/// exponential backoff and jitter on 408/429/5xx honouring Retry-After (System.ClientModel's retry policy), a
/// network timeout, and failures reported as one clear line.
/// </summary>
public sealed class OpenAiCompatibleEmbedder : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    private readonly OpenAiEndpoint _endpoint;

    public OpenAiCompatibleEmbedder(OpenAiEndpoint endpoint)
        : base(Create(endpoint))
    {
        if (endpoint.BatchSize < 1)
        {
            throw new SiftException($"embedding batch size must be at least 1 (got {endpoint.BatchSize})");
        }

        _endpoint = endpoint;
    }

    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var all = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var batch in values.Chunk(_endpoint.BatchSize))
        {
            try
            {
                var generated = await base.GenerateAsync(batch, options, cancellationToken).ConfigureAwait(false);
                all.AddRange(generated);
                if (generated.Usage is { } usage)
                {
                    all.Usage ??= new UsageDetails();
                    all.Usage.Add(usage);
                }
            }
            catch (ClientResultException ex)
            {
                throw new SiftException($"embedding endpoint {_endpoint.BaseUrl} (model {_endpoint.Model}) failed with HTTP {ex.Status}: {FirstLine(ex.Message)}", ex);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new SiftException($"embedding endpoint {_endpoint.BaseUrl} (model {_endpoint.Model}) is unreachable or timed out: {FirstLine(ex.Message)}", ex);
            }
        }

        return all;
    }

    private static IEmbeddingGenerator<string, Embedding<float>> Create(OpenAiEndpoint endpoint)
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = endpoint.BaseUrl,
            NetworkTimeout = endpoint.Timeout ?? TimeSpan.FromSeconds(60),
            RetryPolicy = new ClientRetryPolicy(endpoint.MaxRetries),
        };
        // Local servers (vLLM, Ollama) often need no key, but the client requires one.
        var client = new EmbeddingClient(endpoint.Model, new ApiKeyCredential(string.IsNullOrEmpty(endpoint.ApiKey) ? "unused" : endpoint.ApiKey), options);
        return client.AsIEmbeddingGenerator();
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
