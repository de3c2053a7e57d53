using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sift.Core;
using Sift.Generation.Conversation;
using Sift.Server.Auth;
using Sift.Server.Http;
using Sift.Server.WebConsole;

namespace Sift.Server.Endpoints;

/// <summary>
/// OpenAI's chat-completions protocol over a collection, so any OpenAI client, chat UI or framework can use one as a
/// model: the model is the collection ("name" or "name@alias"), the last user message is answered with the grounded
/// pipeline (the same checks, access lists and guardrails as /ask), earlier turns make it a standalone question, and
/// citations come back in the message (a sources list) and in the <c>sift</c> extension field.
/// </summary>
internal static class ChatCompletionEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/chat/completions", (Func<HttpContext, Task<IResult>>)ReadAsync)
            .WithName("ChatCompletions").WithTags("openai")
            .Accepts<ChatCompletionRequest>("application/json")
            .Produces<ChatCompletion>(StatusCodes.Status200OK, "application/json", "text/event-stream")
            .WithDescription("OpenAI-compatible: 'model' names a collection ('name' or 'name@alias'); 'stream': true answers in OpenAI's chunk events ending 'data: [DONE]'. Errors use OpenAI's {error: {message, type, code}} shape.");

        app.MapGet("/v1/models", (HttpContext context, CollectionHost host) =>
        {
            if (Guard.Check(context, Scopes.Read, out var caller) is { } denied)
            {
                return OpenAiError(denied);
            }

            return Results.Json(new ModelList("list", [.. host.Names.Where(caller.CanUse).Select(name => new ModelEntry(name, "model", 0, "sift"))]), Json);
        }).WithName("ListModels").WithTags("openai").Produces<ModelList>();

        app.MapGet("/v1/models/{model}", (string model, HttpContext context, CollectionHost host) =>
        {
            if (Guard.Check(context, Scopes.Read, out var caller) is { } denied)
            {
                return OpenAiError(denied);
            }

            return caller.CanUse(model) && host.Find(model) is not null
                ? Results.Json(new ModelEntry(model, "model", 0, "sift"), Json)
                : Error(StatusCodes.Status404NotFound, $"the model '{model}' does not exist", "model");
        }).WithName("GetModel").WithTags("openai").Produces<ModelEntry>();
    }

    /// <summary>The body read here rather than bound, so a malformed one is refused in OpenAI's error shape too.</summary>
    private static async Task<IResult> ReadAsync(HttpContext context)
    {
        if (!context.Request.HasJsonContentType())
        {
            return Error(StatusCodes.Status415UnsupportedMediaType, "the body must be JSON (Content-Type: application/json)", null);
        }

        ChatCompletionRequest? request;
        try
        {
            request = await context.Request.ReadFromJsonAsync<ChatCompletionRequest>(Json, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return Error(StatusCodes.Status400BadRequest, $"the body is not a chat completion request: {ex.Message.Split('.')[0]}{(ex.Path is { } at ? $" (at {at})" : "")}", ex.Path?.TrimStart('$', '.'));
        }

        return request is null ? Error(StatusCodes.Status400BadRequest, "the body is empty", null) : await CompleteAsync(request, context);
    }

    private static async Task<IResult> CompleteAsync(ChatCompletionRequest request, HttpContext context)
    {
        var turns = (request.Messages ?? []).Select(m => new ChatTurn(m.Role ?? "", m.Text)).ToList();
        if (string.IsNullOrWhiteSpace(request.Model))
        {
            return Error(StatusCodes.Status400BadRequest, "'model' is required: the collection to answer from (GET /v1/models lists them)", "model");
        }

        if (turns.Count == 0 || turns.All(t => t.Role != "user"))
        {
            return Error(StatusCodes.Status400BadRequest, "'messages' needs at least one user message", "messages");
        }

        if (request.Messages!.Select((m, i) => (m, i)).FirstOrDefault(x => x.m.Content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array)) is { m: not null } bad)
        {
            return Error(StatusCodes.Status400BadRequest, $"'messages[{bad.i}].content' must be text or an array of content parts", $"messages[{bad.i}].content");
        }

        if (request.MaxSteps is < 1 or > Generation.Steps.StepLimits.HardCap)
        {
            return Error(StatusCodes.Status400BadRequest, $"'max_steps' must be between 1 and {Generation.Steps.StepLimits.HardCap} (got {request.MaxSteps})", "max_steps");
        }

        // Before any model call: a caller who may not read the collection learns nothing, not even the rewrite.
        var services = context.RequestServices;
        if (Guard.CheckRead(context, request.Model, services.GetRequiredService<CollectionHost>(), services.GetRequiredService<Rollout.Canaries>(), out _, out _) is { } denied)
        {
            return OpenAiError(denied);
        }

        RewrittenQuestion rewritten;
        try
        {
            rewritten = await services.GetRequiredService<QuestionRewriter>().RewriteAsync(turns, context.RequestAborted);
        }
        catch (SiftException ex)
        {
            return Error(StatusCodes.Status400BadRequest, ex.Message, "messages");
        }

        var (problem, ask) = QueryEndpoints.Asker(request.Model, new AskRequest(rewritten.Question, null, null, null, null, request.MaxSteps), context);
        if (problem is not null)
        {
            return OpenAiError(problem);
        }

        var id = $"chatcmpl-{Guid.NewGuid():N}";
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (request.Stream != true)
        {
            var answer = await ask!(null);
            return Results.Json(
                new ChatCompletion(id, "chat.completion", created, request.Model, [new ChatChoice(0, new ChatMessageOut("assistant", answer.Answer + Sources(answer)), null, "stop")], Usage(answer), Extension(answer, rewritten)),
                Json);
        }

        await StreamAsync(context, request, ask!, rewritten, id, created);
        return Results.Empty;
    }

    /// <summary>OpenAI's chunk events: the role, then the answer's tokens as the model writes them, the sources, the finish with Sift's record, usage when asked, and [DONE].</summary>
    private static async Task StreamAsync(
        HttpContext context, ChatCompletionRequest request, Func<Action<string>?, Task<AnswerResult>> ask, RewrittenQuestion rewritten, string id, long created)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var model = request.Model!;
        var gate = new SemaphoreSlim(1, 1);
        async Task Send(ChatCompletion chunk)
        {
            await gate.WaitAsync(context.RequestAborted);
            try
            {
                await response.WriteAsync($"data: {JsonSerializer.Serialize(chunk, Json)}\n\n", context.RequestAborted);
                await response.Body.FlushAsync(context.RequestAborted);
            }
            finally
            {
                gate.Release();
            }
        }

        ChatCompletion Chunk(ChatMessageOut? delta, string? finish, ChatUsage? usage = null, SiftExtension? sift = null) =>
            new(id, "chat.completion.chunk", created, model, delta is null && finish is null ? [] : [new ChatChoice(0, null, delta ?? new ChatMessageOut(null, null), finish)], usage, sift);

        await Send(Chunk(new ChatMessageOut("assistant", ""), null));
        var tokens = System.Threading.Channels.Channel.CreateUnbounded<string>();
        var asking = Task.Run(async () =>
        {
            try
            {
                return await ask(token => tokens.Writer.TryWrite(token));
            }
            finally
            {
                tokens.Writer.TryComplete();
            }
        });
        await foreach (var token in tokens.Reader.ReadAllAsync(context.RequestAborted))
        {
            await Send(Chunk(new ChatMessageOut(null, token), null));
        }

        try
        {
            var answer = await asking;
            await Send(Chunk(new ChatMessageOut(null, Sources(answer)), null));
            await Send(Chunk(null, "stop", sift: Extension(answer, rewritten)));
            if (request.StreamOptions?.IncludeUsage == true)
            {
                await Send(Chunk(null, null, Usage(answer)));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            // Headers are sent: the stream still ends as OpenAI's does, with an error event the client can read.
            var (message, type) = ex is SiftException ? (ex.Message, "invalid_request_error") : ("the answer failed on the server", "server_error");
            if (ex is not SiftException)
            {
                context.RequestServices.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger("Sift.ChatCompletions")
                    .LogError(ex, "streamed chat completion failed");
            }

            await response.WriteAsync($"data: {JsonSerializer.Serialize(new { error = new { message, type } }, Json)}\n\n", context.RequestAborted);
        }

        await response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
        await response.Body.FlushAsync(context.RequestAborted);
    }

    /// <summary>The cited sources after the answer, one line each, so a plain chat UI shows where it came from.</summary>
    private static string Sources(AnswerResult answer)
    {
        if (answer.Citations.Count == 0)
        {
            return "";
        }

        var text = new StringBuilder("\n\nSources:");
        foreach (var citation in answer.Citations.DistinctBy(c => c.Label))
        {
            text.Append($"\n[{citation.Label}] {citation.DocumentId}{(citation.HeadingPath is { Count: > 0 } path ? " > " + string.Join(" > ", path) : "")}{(citation.Page is { } page ? $", page {page}" : "")}");
        }

        return text.ToString();
    }

    private static ChatUsage Usage(AnswerResult answer) => new(answer.TokensIn, answer.TokensOut, answer.TokensIn + answer.TokensOut);

    private static SiftExtension Extension(AnswerResult answer, RewrittenQuestion rewritten) =>
        new(answer.Id, answer.Question, rewritten.Method, answer.Citations, answer.Flags, answer.Served);

    /// <summary>A Sift problem in OpenAI's error shape (what OpenAI clients read), with the same status.</summary>
    private static IResult OpenAiError(IResult problem) =>
        Error(problem is IStatusCodeHttpResult { StatusCode: { } status } ? status : StatusCodes.Status400BadRequest, ConsoleEndpoints.Describe(problem), null);

    private static IResult Error(int status, string message, string? param) => Results.Json(
        new
        {
            error = new
            {
                message,
                type = status switch { 401 => "authentication_error", 403 => "permission_error", 404 => "not_found_error", 429 => "rate_limit_error", _ => "invalid_request_error" },
                param,
                code = status switch { 401 => "invalid_api_key", 404 => "model_not_found", _ => (string?)null },
            },
        },
        Json,
        statusCode: status);
}
