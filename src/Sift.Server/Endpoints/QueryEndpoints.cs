using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sift.Composition;
using Sift.Core;
using Sift.Generation.Logging;
using Sift.Generation.Steps;
using Sift.Server.Auth;
using Sift.Server.Http;
using Sift.Server.Rollout;

namespace Sift.Server.Endpoints;

/// <summary>Search, ask (JSON or Server-Sent Events) and feedback.</summary>
internal static class QueryEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/collections/{c}/search", async (string c, SearchRequest request, HttpContext context) =>
            await SearchAsync(c, request, context) is var (problem, result) && problem is null ? Results.Ok(result) : problem!)
            .WithName("Search").WithTags("query").Produces<SearchResult>().ProducesProblems(400, 404, 504);

        app.MapPost("/v1/collections/{c}/ask", (string c, AskRequest request, HttpContext context) =>
            AskAsync(c, request, context, stream: context.Request.Headers.Accept.Any(a => a?.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase) == true), Final))
            .WithName("Ask").WithTags("query")
            .Produces<AnswerResult>(StatusCodes.Status200OK, "application/json", "text/event-stream")
            .WithDescription("JSON by default. With 'Accept: text/event-stream', Server-Sent Events: 'token' events {text} as the model writes, then one 'answer' event carrying the AnswerResult (or an 'error' event carrying a problem).")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // The stream is text of events, not one AnswerResult document (only its 'answer' event carries one).
                operation.Responses?["200"].Content?["text/event-stream"].Schema = OpenApiSchemas.EventStream();
                return Task.CompletedTask;
            })
            .ProducesProblems(400, 404, 504);

        app.MapPost("/v1/feedback", (FeedbackRequest request, HttpContext context) => Feedback(request, context))
            .WithName("Feedback").WithTags("query").Produces(StatusCodes.Status202Accepted).ProducesProblems(400, 404);
    }

    /// <summary>Feedback on an answer, from the API or a console form: 202, or the problem that refuses it.</summary>
    internal static IResult Feedback(FeedbackRequest request, HttpContext context)
    {
        var (log, canaries) = (context.RequestServices.GetRequiredService<QueryLog>(), context.RequestServices.GetRequiredService<Canaries>());
        if (Guard.Check(context, Scopes.Read, out var caller) is { } denied)
        {
            return denied;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(request.AnswerId))
        {
            errors["answerId"] = ["is required"];
        }

        if (request.Rating is not ("up" or "down"))
        {
            errors["rating"] = ["must be \"up\" or \"down\""];
        }

        if (request.Comment is { Length: > 4000 })
        {
            errors["comment"] = ["is longer than 4000 characters"];
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        try
        {
            // Only the key that asked may rate an answer; anyone else is told it does not exist.
            log.AddFeedback(request.AnswerId!, request.Rating == "up" ? 1 : -1, request.Comment, caller.IsAnonymous ? null : caller.Subject);
            canaries.ObserveFeedback(request.AnswerId!, negative: request.Rating == "down");
        }
        catch (SiftException)
        {
            return Problems.NotFound($"answer '{request.AnswerId}'");
        }

        return Results.Accepted();
    }

    /// <summary>
    /// A search of <paramref name="reference"/> ("name", "name@alias", "name@7") by the request's caller: the problem
    /// that refuses it, or the result. The API and the console both search through here.
    /// </summary>
    internal static async Task<(IResult? Problem, SearchResult? Result)> SearchAsync(string reference, SearchRequest request, HttpContext context)
    {
        var services = context.RequestServices;
        var (host, canaries, queries, options) = (services.GetRequiredService<CollectionHost>(), services.GetRequiredService<Canaries>(), services.GetRequiredService<QueryService>(), services.GetRequiredService<ServerOptions>());
        if (Guard.CheckRead(context, reference, host, canaries, out var caller, out var served) is { } denied)
        {
            return (denied, null);
        }

        var errors = Validation.Check(request.Query, "query", request.K, request.Mode, options.Limits);
        var filter = Validation.Filter(request.Filters, errors);
        if (errors.Count > 0)
        {
            return (Problems.Invalid(errors), null);
        }

        var started = Stopwatch.GetTimestamp();
        var (response, cached, id) = await Observed(canaries, served, started, () =>
            queries.SearchAsync(served.Target, caller, request.Query!, request.K ?? SiftAnswering.DefaultTopK, request.Mode, filter, context.RequestAborted));
        Observe(canaries, served, started, new CanaryOutcome(false, 0, response.Results.Count == 0 ? 0 : response.Results[0].Score));
        return (null, new SearchResult(id, cached, response.Collection, response.Version, response.Degraded, response.Results, served.Version));
    }

    /// <summary>
    /// An answer to <paramref name="request"/> over <paramref name="reference"/>: JSON, or with
    /// <paramref name="stream"/> Server-Sent Events ending in the event <paramref name="final"/> makes of the result
    /// (the API sends the result itself; the console sends it rendered).
    /// </summary>
    internal static async Task<IResult> AskAsync(string reference, AskRequest request, HttpContext context, bool stream, Func<AnswerResult, (string Event, object Data)> final)
    {
        var (problem, ask) = Asker(reference, request, context);
        if (problem is not null)
        {
            return problem;
        }

        if (!stream)
        {
            return Results.Ok(await ask!(null));
        }

        await StreamAsync(context, context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions, onToken => ask!(onToken), final);
        return Results.Empty;
    }

    /// <summary>
    /// The checks every answer passes (the caller's access to <paramref name="reference"/>, the request's fields), and
    /// then the answer itself, to run with or without a token callback: the problem that refuses it, or the asker.
    /// The ask endpoint, the console and the OpenAI-compatible endpoint all answer through here.
    /// </summary>
    internal static (IResult? Problem, Func<Action<string>?, Task<AnswerResult>>? Ask) Asker(string reference, AskRequest request, HttpContext context)
    {
        var services = context.RequestServices;
        var (host, canaries, queries, options) = (services.GetRequiredService<CollectionHost>(), services.GetRequiredService<Canaries>(), services.GetRequiredService<QueryService>(), services.GetRequiredService<ServerOptions>());
        if (Guard.CheckRead(context, reference, host, canaries, out var caller, out var served) is { } denied)
        {
            return (denied, null);
        }

        var errors = Validation.Check(request.Question, "question", request.K, request.Mode, options.Limits);
        var filter = Validation.Filter(request.Filters, errors);
        if (request.Budget is { } budget && (budget < 100 || budget > 100_000))
        {
            errors["budget"] = [$"must be between 100 and 100000 tokens (got {budget})"];
        }

        if (request.MaxSteps is < 1 or > StepLimits.HardCap)
        {
            errors["maxSteps"] = [$"must be between 1 and {StepLimits.HardCap} (got {request.MaxSteps})"];
        }

        if (errors.Count > 0)
        {
            return (Problems.Invalid(errors), null);
        }

        // Steps are bounded by the server's own limits too: tokens, and the request's timeout less a margin to answer.
        var steps = request.MaxSteps is { } maxSteps ? new StepLimits(maxSteps, MaxTime: options.Limits.RequestTimeout / 2) : null;

        var question = request.Question!;
        var (k, tokens) = (request.K ?? SiftAnswering.DefaultTopK, request.Budget ?? SiftAnswering.DefaultBudgetTokens);
        var started = Stopwatch.GetTimestamp();
        async Task<AnswerResult> Ask(Action<string>? onToken)
        {
            var answered = await Observed(canaries, served, started, () =>
                queries.AskAsync(served.Target, caller, question, k, tokens, request.Mode, filter, onToken, context.RequestAborted, steps));
            var record = answered.Record;
            Observe(canaries, served, started, new CanaryOutcome(
                false, 0, record.Retrieved.Count == 0 ? 0 : record.Retrieved[0].Score, record.Flags.Abstained, record.Flags.UnsupportedCitations + record.Flags.InvalidCitations > 0), answered.AnswerId);
            return new AnswerResult(record, answered.Cached, answered.AnswerId, served.Version);
        }

        return (null, Ask);
    }

    private static (string Event, object Data) Final(AnswerResult result) => ("answer", result);

    /// <summary>
    /// Server-Sent Events: "token" events as the model writes, then one "answer" event with the checked record
    /// (citations, timings, usage, flags), or an "error" event carrying a problem.
    /// </summary>
    private static async Task StreamAsync(
        HttpContext context, JsonSerializerOptions json, Func<Action<string>, Task<AnswerResult>> ask, Func<AnswerResult, (string Event, object Data)> final)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.Body.FlushAsync(context.RequestAborted);

        var tokens = Channel.CreateUnbounded<string>();
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

        async Task Send(string name, object data)
        {
            await response.WriteAsync($"event: {name}\ndata: {JsonSerializer.Serialize(data, json)}\n\n", context.RequestAborted);
            await response.Body.FlushAsync(context.RequestAborted);
        }

        await foreach (var token in tokens.Reader.ReadAllAsync(context.RequestAborted))
        {
            await Send("token", new { text = token });
        }

        try
        {
            var (name, data) = final(await asking);
            await Send(name, data);
        }
        catch (SiftException ex)
        {
            await Send("error", new { status = 400, code = "bad_request", title = "The request cannot be served", detail = ex.Message });
        }
    }

    /// <summary>Runs a read, telling the canary that routed it (if any) when it fails: a failure is its error signal.</summary>
    private static async Task<T> Observed<T>(Canaries canaries, Served served, long started, Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (Exception ex) when (served.Canary is not null && ex is not OperationCanceledException)
        {
            canaries.Observe(served.Canary, served.Candidate, new CanaryOutcome(true, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
            throw;
        }
    }

    private static void Observe(Canaries canaries, Served served, long started, CanaryOutcome outcome, string? answerId = null)
    {
        if (served.Canary is { } canary)
        {
            canaries.Observe(canary, served.Candidate, outcome with { LatencyMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds }, answerId);
        }
    }
}
