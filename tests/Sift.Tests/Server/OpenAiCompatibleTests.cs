using System.ClientModel;
using System.Net;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using Sift.Generation.Llm;
using Sift.Server;
using Sift.Server.Auth;
using Sift.Tests.Support;

namespace Sift.Tests.Server;

/// <summary>
/// The official OpenAI .NET client against /v1/chat/completions and /v1/models, over loopback HTTP: a collection used
/// as a model, JSON and streamed, a follow-up rewritten from the conversation, and a key that may not read the
/// collection refused as if it did not exist.
/// </summary>
public sealed class OpenAiCompatibleTests : IAsyncLifetime
{
    private const string RewriteInstruction = "Rewrite the user's last question";

    private readonly TempFolder _folder = new();
    private readonly LoopbackChatServer _llm = new();
    private RunningServer _server = null!;
    private string _reader = "";
    private string _stranger = "";

    public async ValueTask InitializeAsync()
    {
        var store = _folder.Combine("store");
        var keys = new ApiKeyStore(store);
        _reader = keys.Create("reader", [Scopes.Read, Scopes.Ingest], ["geo"], []).Secret;
        _stranger = keys.Create("stranger", [Scopes.Read], ["other"], []).Secret;
        // The model: rewrites a follow-up when asked to, else answers the question it was sent from one source.
        _llm.Respond = request =>
        {
            var system = request.GetProperty("messages")[0].GetProperty("content").GetString()!;
            if (system.Contains(RewriteInstruction, StringComparison.Ordinal))
            {
                return "How do glaciers move downhill?";
            }

            if (system.StartsWith("You plan the research", StringComparison.Ordinal))
            {
                return request.GetProperty("messages")[1].GetProperty("content").GetString()!.Contains("basal sliding", StringComparison.Ordinal)
                    ? "ANSWER"
                    : "SEARCH: how glaciers move";
            }

            var question = request.GetProperty("messages")[1].GetProperty("content").GetString()!.Split("Question:")[^1];
            return question.Contains("move", StringComparison.Ordinal)
                ? "Glaciers move downhill by internal deformation and basal sliding [1]."
                : "Glaciers form where snow outlasts the summer [1].";
        };
        var endpoint = new LlmEndpoint(LlmProvider.OpenAiCompatible, _llm.BaseUrl, "loopback-model", null, TimeSpan.FromSeconds(10), 0, 1m, 2m);
        _server = await RunningServer.StartAsync(new ServerOptions { StoreRoot = store, Llm = endpoint, Cache = false });
        var upload = await _server.Client(_reader).PostJsonAsync("/v1/collections/geo/documents", new
        {
            documents = new object[]
            {
                new { id = "formation", title = "Formation", text = "Glaciers form where snow outlasts the summer and slowly turns to ice." },
                new { id = "motion", title = "Motion", text = "Glaciers move downhill by internal deformation of the ice and by basal sliding over meltwater." },
            },
        });
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        await _server.Client(_reader).WaitForJobAsync(upload.Headers.Location!.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _llm.DisposeAsync();
        _folder.Dispose();
    }

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private OpenAIClient Client(string key) => new(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(_server.Root, "/v1") });

    [Fact]
    public async Task ACollectionAnswersAsAModelWithCitationsInTheMessageAndTheExtension()
    {
        var result = await Client(_reader).GetChatClient("geo").CompleteChatAsync([new UserChatMessage("How do glaciers form?")], cancellationToken: Cancel);

        var text = result.Value.Content[0].Text;
        Assert.StartsWith("Glaciers form where snow outlasts the summer [1].", text, StringComparison.Ordinal);
        Assert.Contains("Sources:\n[1] formation", text, StringComparison.Ordinal);
        Assert.Equal(ChatFinishReason.Stop, result.Value.FinishReason);
        Assert.Equal(LoopbackChatServer.PromptTokens, result.Value.Usage.InputTokenCount);
        using var raw = JsonDocument.Parse(result.GetRawResponse().Content.ToString());
        var sift = raw.RootElement.GetProperty("sift");
        Assert.Equal("as asked", sift.GetProperty("rewrite").GetString());
        Assert.Equal("formation", sift.GetProperty("citations")[0].GetProperty("documentId").GetString());
        Assert.False(string.IsNullOrEmpty(sift.GetProperty("answer_id").GetString()));
    }

    [Fact]
    public async Task AFollowUpIsRewrittenFromTheConversationBeforeRetrieval()
    {
        var chat = Client(_reader).GetChatClient("geo");
        ChatMessage[] conversation =
        [
            new SystemChatMessage("You are a helpful assistant."),
            new UserChatMessage("How do glaciers form?"),
            new AssistantChatMessage("Glaciers form where snow outlasts the summer [1]."),
            new UserChatMessage("And how do they move?"),
        ];
        var result = await chat.CompleteChatAsync(conversation, cancellationToken: Cancel);

        // The model was asked to rewrite with the conversation, then answered the rewritten question from "motion".
        var rewrite = JsonDocument.Parse(_llm.Requests.First(r => r.Contains(RewriteInstruction, StringComparison.Ordinal))).RootElement;
        var transcript = rewrite.GetProperty("messages")[1].GetProperty("content").GetString()!;
        Assert.Contains("user: How do glaciers form?", transcript, StringComparison.Ordinal);
        Assert.Contains("user: And how do they move?", transcript, StringComparison.Ordinal);
        using var raw = JsonDocument.Parse(result.GetRawResponse().Content.ToString());
        var sift = raw.RootElement.GetProperty("sift");
        Assert.Equal("How do glaciers move downhill?", sift.GetProperty("question").GetString());
        Assert.Equal("rewritten by loopback-model", sift.GetProperty("rewrite").GetString());
        Assert.Equal("motion", sift.GetProperty("citations")[0].GetProperty("documentId").GetString()); // retrieved for the rewritten question
        Assert.StartsWith("Glaciers move downhill by internal deformation", result.Value.Content[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamedAnswersArriveAsChunksWithUsage()
    {
        var text = new System.Text.StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        var chunks = 0;
        await foreach (var update in Client(_reader).GetChatClient("geo").CompleteChatStreamingAsync([new UserChatMessage("How do glaciers form?")], cancellationToken: Cancel))
        {
            chunks++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.True(chunks > 5, $"{chunks} chunks");
        Assert.StartsWith("Glaciers form where snow outlasts the summer [1].", text.ToString(), StringComparison.Ordinal);
        Assert.Contains("Sources:\n[1] formation", text.ToString(), StringComparison.Ordinal);
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(LoopbackChatServer.PromptTokens, usage.InputTokenCount);
    }

    [Fact]
    public async Task AKeyThatMayNotReadTheCollectionFindsNoSuchModel()
    {
        var refused = await Assert.ThrowsAsync<ClientResultException>(() => Client(_stranger).GetChatClient("geo").CompleteChatAsync([new UserChatMessage("How do glaciers form?")], cancellationToken: Cancel));
        Assert.Equal(404, refused.Status);
        Assert.Empty(_llm.Requests); // refused before any model call, the rewrite included

        var mine = (await Client(_reader).GetOpenAIModelClient().GetModelsAsync(Cancel)).Value.Select(m => m.Id).ToList();
        Assert.Contains("geo", mine);
        var theirs = (await Client(_stranger).GetOpenAIModelClient().GetModelsAsync(Cancel)).Value.Select(m => m.Id).ToList();
        Assert.DoesNotContain("geo", theirs);

        var anonymous = await Assert.ThrowsAsync<ClientResultException>(() => Client("not-a-key").GetChatClient("geo").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Cancel));
        Assert.Equal(401, anonymous.Status);
    }

    [Fact]
    public async Task MaxStepsLetsTheModelSearchAgainThroughTheApiAndIsBounded()
    {
        var client = _server.Client(_reader);
        var answer = await (await client.PostJsonAsync("/v1/collections/geo/ask", new { question = "How do glaciers form and move?", k = 1, maxSteps = 3 })).JsonAsync();
        var steps = answer.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("action").GetString()).ToList();
        Assert.Equal(["search", "answer"], steps);
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("flags").GetProperty("stopped").ValueKind);

        var refused = await client.PostJsonAsync("/v1/collections/geo/ask", new { question = "How do glaciers form?", maxSteps = 11 });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("must be between 1 and 10 (got 11)", await refused.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedRequestsAreRefusedInOpenAisErrorShape()
    {
        var client = _server.Client(_reader);
        async Task<(HttpStatusCode Status, JsonElement Error)> PostAsync(string body, string type = "application/json")
        {
            var response = await client.PostAsync("/v1/chat/completions", new StringContent(body, System.Text.Encoding.UTF8, type), Cancel);
            var text = await response.Content.ReadAsStringAsync(Cancel);
            using var json = JsonDocument.Parse(text);
            Assert.True(json.RootElement.TryGetProperty("error", out var error), $"{(int)response.StatusCode}: {text}");
            return (response.StatusCode, error.Clone());
        }

        var broken = await PostAsync("""{"model": """);
        Assert.Equal(HttpStatusCode.BadRequest, broken.Status);
        Assert.Equal("invalid_request_error", broken.Error.GetProperty("type").GetString());
        var content = await PostAsync("""{"model": "geo", "messages": [{"role": "user", "content": 42}]}""");
        Assert.Equal("messages[0].content", content.Error.GetProperty("param").GetString());
        var steps = await PostAsync("""{"model": "geo", "max_steps": 11, "messages": [{"role": "user", "content": "hi"}]}""");
        Assert.Equal("max_steps", steps.Error.GetProperty("param").GetString());

        // Content as OpenAI's array of parts: the text parts, joined with spaces.
        var parts = await client.PostAsync("/v1/chat/completions", new StringContent(
            """{"model": "geo", "messages": [{"role": "user", "content": [{"type": "text", "text": "How do glaciers"}, {"type": "text", "text": "form?"}]}]}""",
            System.Text.Encoding.UTF8, "application/json"), Cancel);
        using var answer = JsonDocument.Parse(await parts.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("How do glaciers form?", answer.RootElement.GetProperty("sift").GetProperty("question").GetString());
    }
}
