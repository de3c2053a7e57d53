using System.Net;
using System.Text;
using System.Text.Json;

namespace Sift.Tests.Support;

/// <summary>
/// A real HTTP server on loopback speaking OpenAI's <c>POST /v1/chat/completions</c> protocol (JSON responses and SSE
/// streams: chunks, a final usage chunk, [DONE]) and Anthropic's <c>POST /v1/messages</c> protocol (JSON and its
/// typed SSE events), with scripted answers, scripted failures (status with Retry-After), and a stall mode that
/// sends one chunk and then waits. Records each request body.
/// </summary>
public sealed class LoopbackChatServer : LoopbackServer
{

    public LoopbackChatServer()
    {
        BaseUrl = new Uri(Root, "v1");
    }

    public Uri BaseUrl { get; }

    public Queue<string> Answers { get; } = new();

    public Queue<(int Status, int? RetryAfter)> Failures { get; } = new();

    /// <summary>When set, a streamed answer sends its first chunk and then waits this long before the rest.</summary>
    public TimeSpan? StallAfterFirstChunk { get; set; }

    public List<string> Requests { get; } = [];

    /// <summary>When set, answers each request from its body (e.g. a judge's verdict chosen by rubric); null falls back to <see cref="Answers"/>.</summary>
    public Func<JsonElement, string?>? Respond { get; set; }

    public const int PromptTokens = 321;

    protected override async Task RespondAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            lock (Requests)
            {
                Requests.Add(body);
            }

            if (Failures.TryDequeue(out var failure))
            {
                if (failure.RetryAfter is { } seconds)
                {
                    response.AddHeader("Retry-After", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                await WriteJsonAsync(response, failure.Status, JsonSerializer.Serialize(new { error = new { message = $"scripted {failure.Status}", type = "server_error" } }));
                return;
            }

            using var request = JsonDocument.Parse(body);
            var answer = Respond?.Invoke(request.RootElement) ?? (Answers.TryDequeue(out var scripted) ? scripted : "Not found in the sources.");
            var model = request.RootElement.GetProperty("model").GetString()!;
            var completionTokens = answer.Split(' ').Length;
            var streaming = request.RootElement.TryGetProperty("stream", out var stream) && stream.GetBoolean();
            if (context.Request.Url!.AbsolutePath.EndsWith("/messages", StringComparison.Ordinal))
            {
                await AnthropicAsync(response, model, answer, completionTokens, streaming);
            }
            else if (streaming)
            {
                await StreamAsync(response, model, answer, completionTokens);
            }
            else
            {
                await WriteJsonAsync(response, 200, JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["id"] = "chatcmpl-1", ["object"] = "chat.completion", ["created"] = 1_700_000_000, ["model"] = model,
                    ["choices"] = new[] { new Dictionary<string, object> { ["index"] = 0, ["message"] = new { role = "assistant", content = answer }, ["finish_reason"] = "stop" } },
                    ["usage"] = new { prompt_tokens = PromptTokens, completion_tokens = completionTokens, total_tokens = PromptTokens + completionTokens },
                }));
            }
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException)
        {
            response.Abort();
        }
    }

    private async Task StreamAsync(HttpListenerResponse response, string model, string answer, int completionTokens)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.SendChunked = true;
        var words = answer.Split(' ');
        for (var i = 0; i < words.Length; i++)
        {
            var delta = new Dictionary<string, object> { ["content"] = (i == 0 ? "" : " ") + words[i] };
            if (i == 0)
            {
                delta["role"] = "assistant";
            }

            await SendAsync(response, Chunk(model, new[] { new Dictionary<string, object?> { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = null } }));
            if (i == 0 && StallAfterFirstChunk is { } stall)
            {
                await Task.Delay(stall, Stopping.Token);
            }
        }

        await SendAsync(response, Chunk(model, new[] { new Dictionary<string, object?> { ["index"] = 0, ["delta"] = new { }, ["finish_reason"] = "stop" } }));
        var usage = Chunk(model, Array.Empty<object>());
        usage["usage"] = new { prompt_tokens = PromptTokens, completion_tokens = completionTokens, total_tokens = PromptTokens + completionTokens };
        await SendAsync(response, usage);
        await response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes("data: [DONE]\n\n"));
        response.Close();
    }

    private async Task AnthropicAsync(HttpListenerResponse response, string model, string answer, int outputTokens, bool streaming)
    {
        if (!streaming)
        {
            await WriteJsonAsync(response, 200, JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["id"] = "msg_1", ["type"] = "message", ["role"] = "assistant", ["model"] = model,
                ["content"] = new[] { new { type = "text", text = answer } },
                ["stop_reason"] = "end_turn", ["stop_sequence"] = null,
                ["usage"] = new { input_tokens = PromptTokens, output_tokens = outputTokens },
            }));
            return;
        }

        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.SendChunked = true;
        async Task Event(string name, object data)
        {
            await response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes($"event: {name}\ndata: {JsonSerializer.Serialize(data)}\n\n"));
            await response.OutputStream.FlushAsync();
        }

        await Event("message_start", new
        {
            type = "message_start",
            message = new Dictionary<string, object?>
            {
                ["id"] = "msg_1", ["type"] = "message", ["role"] = "assistant", ["content"] = Array.Empty<object>(), ["model"] = model,
                ["stop_reason"] = null, ["stop_sequence"] = null, ["usage"] = new { input_tokens = PromptTokens, output_tokens = 1 },
            },
        });
        await Event("content_block_start", new { type = "content_block_start", index = 0, content_block = new { type = "text", text = "" } });
        var words = answer.Split(' ');
        for (var i = 0; i < words.Length; i++)
        {
            await Event("content_block_delta", new { type = "content_block_delta", index = 0, delta = new { type = "text_delta", text = (i == 0 ? "" : " ") + words[i] } });
        }

        await Event("content_block_stop", new { type = "content_block_stop", index = 0 });
        await Event("message_delta", new { type = "message_delta", delta = new Dictionary<string, object?> { ["stop_reason"] = "end_turn", ["stop_sequence"] = null }, usage = new { output_tokens = outputTokens } });
        await Event("message_stop", new { type = "message_stop" });
        response.Close();
    }

    private static Dictionary<string, object> Chunk(string model, object choices) => new()
    {
        ["id"] = "chatcmpl-1", ["object"] = "chat.completion.chunk", ["created"] = 1_700_000_000, ["model"] = model, ["choices"] = choices,
    };

    private static async Task SendAsync(HttpListenerResponse response, object chunk)
    {
        await response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes($"data: {JsonSerializer.Serialize(chunk)}\n\n"));
        await response.OutputStream.FlushAsync();
    }

}
