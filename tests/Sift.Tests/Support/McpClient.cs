using System.Diagnostics;
using System.Text.Json;

namespace Sift.Tests.Support;

/// <summary>
/// The official MCP TypeScript SDK's client, run with Node (tests/agents/mcp-client.mjs): connects over stdio or
/// streamable HTTP, lists tools and resource templates, makes the calls given, and returns what it got as JSON.
/// </summary>
public static class McpClient
{
    private static readonly string Folder = Path.Combine(Paths.RepositoryRoot, "tests", "agents");

    public static Task<JsonElement> StdioAsync(IReadOnlyList<string> command, object[] calls) =>
        RunAsync(["stdio", JsonSerializer.Serialize(command), JsonSerializer.Serialize(calls)]);

    public static Task<JsonElement> HttpAsync(Uri url, string? key, object[] calls) =>
        RunAsync(["http", url.AbsoluteUri, key ?? "", JsonSerializer.Serialize(calls)]);

    private static async Task<JsonElement> RunAsync(IReadOnlyList<string> args)
    {
        if (!Directory.Exists(Path.Combine(Folder, "node_modules", "@modelcontextprotocol", "sdk")))
        {
            throw new InvalidOperationException($"the MCP client is not installed in {Folder}: run ./test.sh (it runs npm ci there)");
        }

        var start = new ProcessStartInfo("node") { WorkingDirectory = Folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("mcp-client.mjs");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout;
        Assert.True(process.ExitCode == 0 && output.Length > 0, $"mcp-client exited {process.ExitCode}: {await stderr}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }
}
