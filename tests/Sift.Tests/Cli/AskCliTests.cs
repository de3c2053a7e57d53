using System.Text.Json;
using Sift.Tests.Support;

namespace Sift.Tests.Cli;

/// <summary><c>sift ask</c> with an OpenAI-compatible server, as a user would run it.</summary>
public sealed class AskCliTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task AskStreamsTheLlmAnswerAndRecordsItAsJson()
    {
        await using var server = new LoopbackChatServer();
        var store = _folder.Combine("store");
        Assert.Equal(0, (await SiftProcess.RunAsync(store, "demo", "--json")).ExitCode);
        var environment = new Dictionary<string, string> { ["SIFT_LLM_API_KEY"] = "k" };
        string[] llm = ["--llm", "openai-compatible", "--base-url", server.BaseUrl.ToString(), "--model", "local-model"];

        server.Answers.Enqueue("A cross-encoder reads the query and passage together [1].");
        var streamed = await SiftProcess.RunAsync(store, environment, ["ask", "what does a cross-encoder read?", "-c", "demo", .. llm]);
        Assert.True(streamed.ExitCode == 0, streamed.Stderr);
        Assert.Contains("A cross-encoder reads the query and passage together [1].", streamed.Stdout, StringComparison.Ordinal);
        Assert.Contains("local-model, prompt grounded-answer@", streamed.Stdout, StringComparison.Ordinal);

        server.Answers.Enqueue("It reads both [1].");
        var json = await SiftProcess.RunAsync(store, environment, ["ask", "what does a cross-encoder read?", "-c", "demo", "--json", .. llm]);
        using var record = JsonDocument.Parse(json.Stdout);
        Assert.Equal("local-model", record.RootElement.GetProperty("model").GetString());
        Assert.Equal(LoopbackChatServer.PromptTokens, record.RootElement.GetProperty("tokensIn").GetInt32());
        Assert.False(record.RootElement.GetProperty("flags").GetProperty("degraded").GetBoolean());
    }
}
