using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sift.Composition;
using Sift.Core;
using Sift.Server.Agents;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift mcp</c>: the store's collections for an MCP client over stdio (Claude Desktop, IDEs, agent frameworks), as
/// the local user who may read everything in the store. Standard output carries the protocol only: logs go to stderr.
/// </summary>
internal static class McpCommand
{
    public static Command Create()
    {
        var llm = new LlmOptions();
        var command = new Command("mcp", "Serve the store's collections to an MCP client over stdio: tools list_collections, search, ask, get_document, get_passage, and documents as resources (sift://documents/COLLECTION/ID)");
        llm.AddTo(command);
        command.SetAction(async (result, cancellation) =>
        {
            using var store = CommonOptions.OpenStore(result);
            if (store.List().Count == 0)
            {
                // Said where an MCP client shows a server's output: a mistyped store path is otherwise an empty list.
                await Console.Error.WriteLineAsync($"warning: the store {store.Location} has no collections (sift ingest FOLDER -c NAME --store {store.Location})");
            }

            var (answerer, endpoint) = llm.Build(result);
            var gateway = new LocalAgentGateway(store, new AnswerOptions(answerer, endpoint, llm.MinScore(result), llm.MinCoverage(result)));
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            // Warnings and worse, on stderr; a tool's refusal (not found, bad argument) goes to the client, not the log.
            builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Warning).AddFilter("ModelContextProtocol", LogLevel.Critical)
                .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Services.AddSingleton<IAgentGateway>(gateway);
            builder.Services.AddMcpServer(mcp => mcp.ServerInfo = new() { Name = "sift", Version = SiftBuild.Version })
                .WithStdioServerTransport()
                .WithTools<SiftTools>(SiftTools.Json)
                .WithRequestFilters(filters => filters.AddCallToolFilter(ToolArguments.Filter))
                .WithResources<SiftResources>();
            using var host = builder.Build();
            await host.RunAsync(cancellation);
            return 0;
        });
        return command;
    }
}
