using System.Net;
using System.Text;
using System.Text.Json;

namespace Sift.Tests.Support;

/// <summary>
/// A real HTTP server on loopback speaking OpenAI's <c>POST /v1/embeddings</c> protocol (float or base64 encoding,
/// usage fields), with scripted failures (status codes with Retry-After) and a record of every request.
/// Embedding of a text: [length, count of 'e', 1].
/// </summary>
public sealed class LoopbackEmbeddingsServer : LoopbackServer
{

    public LoopbackEmbeddingsServer()
    {
        BaseUrl = new Uri(Root, "v1");
    }

    public Uri BaseUrl { get; }

    /// <summary>Responses to give before answering normally: status code and Retry-After seconds (or null).</summary>
    public Queue<(int Status, int? RetryAfter)> Failures { get; } = new();

    public List<int> BatchSizes { get; } = [];

    public List<string?> Authorizations { get; } = [];

    public int Requests { get; private set; }

    public static float[] Expected(string text) => [text.Length, text.Count(c => c == 'e'), 1];

    protected override async Task RespondAsync(HttpListenerContext context)
    {
        Requests++;
        Authorizations.Add(context.Request.Headers["Authorization"]);
        using var reader = new StreamReader(context.Request.InputStream);
        var body = await reader.ReadToEndAsync();
        var response = context.Response;
        if (context.Request.HttpMethod != "POST" || context.Request.Url!.AbsolutePath != "/v1/embeddings")
        {
            await WriteJsonAsync(response, 404, """{"error":{"message":"not found","type":"invalid_request_error"}}""");
            return;
        }

        if (Failures.TryDequeue(out var failure))
        {
            if (failure.RetryAfter is { } seconds)
            {
                response.AddHeader("Retry-After", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            var error = JsonSerializer.Serialize(new { error = new { message = $"scripted failure {failure.Status}", type = "server_error" } });
            await WriteJsonAsync(response, failure.Status, error);
            return;
        }

        using var request = JsonDocument.Parse(body);
        var root = request.RootElement;
        var inputs = root.GetProperty("input").ValueKind == JsonValueKind.Array
            ? root.GetProperty("input").EnumerateArray().Select(e => e.GetString()!).ToList()
            : [root.GetProperty("input").GetString()!];
        BatchSizes.Add(inputs.Count);
        var base64 = root.TryGetProperty("encoding_format", out var format) && format.GetString() == "base64";
        var data = inputs.Select((text, i) =>
        {
            var vector = Expected(text);
            object embedding = base64 ? Convert.ToBase64String(vector.SelectMany(BitConverter.GetBytes).ToArray()) : vector;
            return new Dictionary<string, object> { ["object"] = "embedding", ["index"] = i, ["embedding"] = embedding };
        }).ToList();
        var tokens = inputs.Sum(t => t.Split(' ').Length);
        var json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["object"] = "list",
            ["data"] = data,
            ["model"] = root.GetProperty("model").GetString()!,
            ["usage"] = new Dictionary<string, int> { ["prompt_tokens"] = tokens, ["total_tokens"] = tokens },
        });
        await WriteJsonAsync(response, 200, json);
    }

}
