using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sift.Server.Http;

/// <summary>POST /v1/chat/completions as OpenAI defines it (the fields Sift reads; others, such as temperature, are accepted and ignored).</summary>
/// <param name="Model">The collection to answer from: "name", "name@alias" or "name@7".</param>
/// <param name="Messages">The conversation; the last user message is answered, earlier turns make it a standalone question.</param>
public sealed record ChatCompletionRequest(
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("messages")] ChatMessageIn[]? Messages,
    [property: JsonPropertyName("stream")] bool? Stream,
    [property: JsonPropertyName("stream_options")] StreamOptions? StreamOptions,
    [property: JsonPropertyName("max_steps")] int? MaxSteps);

/// <summary>One message in; its content is text, or OpenAI's list of parts of which the text parts are read.</summary>
public sealed record ChatMessageIn([property: JsonPropertyName("role")] string? Role, [property: JsonPropertyName("content")] JsonElement Content)
{
    public string Text => Content.ValueKind switch
    {
        JsonValueKind.String => Content.GetString() ?? "",
        JsonValueKind.Array => string.Join(" ", Content.EnumerateArray()
            .Where(part => part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
            .Select(part => part.GetProperty("text").GetString())),
        _ => "",
    };
}

public sealed record StreamOptions([property: JsonPropertyName("include_usage")] bool? IncludeUsage);

/// <summary>The chat.completion object, with Sift's answer record in the <c>sift</c> extension field.</summary>
public sealed record ChatCompletion(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("choices")] IReadOnlyList<ChatChoice> Choices,
    [property: JsonPropertyName("usage")] ChatUsage? Usage,
    [property: JsonPropertyName("sift")] SiftExtension? Sift);

public sealed record ChatChoice(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("message"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ChatMessageOut? Message,
    [property: JsonPropertyName("delta"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ChatMessageOut? Delta,
    [property: JsonPropertyName("finish_reason")] string? FinishReason);

public sealed record ChatMessageOut(
    [property: JsonPropertyName("role"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role,
    [property: JsonPropertyName("content"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content);

public sealed record ChatUsage(
    [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
    [property: JsonPropertyName("completion_tokens")] int CompletionTokens,
    [property: JsonPropertyName("total_tokens")] int TotalTokens);

/// <summary>What an OpenAI client does not model: the answer id (for feedback), the question searched, citations and flags.</summary>
/// <param name="Question">The standalone question retrieval used, and how it was made from the conversation.</param>
public sealed record SiftExtension(
    [property: JsonPropertyName("answer_id")] string AnswerId,
    [property: JsonPropertyName("question")] string Question,
    [property: JsonPropertyName("rewrite")] string Rewrite,
    [property: JsonPropertyName("citations")] IReadOnlyList<Generation.Citations.Citation> Citations,
    [property: JsonPropertyName("flags")] Generation.AnswerFlags Flags,
    [property: JsonPropertyName("version")] ServedVersion? Version);

/// <summary>GET /v1/models: the collections the caller may use, as models.</summary>
public sealed record ModelList([property: JsonPropertyName("object")] string Object, [property: JsonPropertyName("data")] IReadOnlyList<ModelEntry> Data);

public sealed record ModelEntry(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy);
