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

    [Fact]
    public async Task SiftJsonConfiguresTheLlmAndPricesWithTheKeyFromASecretsFile()
    {
        await using var server = new LoopbackChatServer();
        var store = _folder.Combine("store");
        Assert.Equal(0, (await SiftProcess.RunAsync(store, "demo", "--json")).ExitCode);
        File.WriteAllText(Path.Combine(store, "sift.json"), $$"""
            {
              // LLM settings; the key is not here.
              "llm": { "provider": "openai-compatible", "baseUrl": "{{server.BaseUrl}}", "model": "priced-model", "timeoutSeconds": 10 },
              "prices": { "priced-model": { "inputPerMillion": 2.0, "outputPerMillion": 8.0 } }
            }
            """);
        var keyFile = _folder.File("secrets/llm-key", "secret-from-file\n");
        server.Answers.Enqueue("It reads both [1].");

        var ask = await SiftProcess.RunAsync(store, new Dictionary<string, string> { ["SIFT_LLM_API_KEY_FILE"] = keyFile }, "ask", "what does a cross-encoder read?", "-c", "demo", "--json");

        Assert.True(ask.ExitCode == 0, ask.Stderr);
        using var record = JsonDocument.Parse(ask.Stdout);
        Assert.Equal("priced-model", record.RootElement.GetProperty("model").GetString());
        Assert.Equal((321m * 2m + 4m * 8m) / 1_000_000m, record.RootElement.GetProperty("estimatedCost").GetDecimal());
        Assert.DoesNotContain("secret-from-file", ask.Stdout + ask.Stderr, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(store, "sift.json"), """{ "llm": { "apiKey": "oops" } }""");
        var refused = await SiftProcess.RunAsync(store, "ask", "anything", "-c", "demo");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("API keys do not belong in sift.json", refused.Stderr, StringComparison.Ordinal);
    }
}
