using System.CommandLine;
using Sift.Cli.Commands;
using Sift.Core;

namespace Sift.Cli;

/// <summary>The <c>sift</c> command line: commands, and one place that turns errors into one clear line.</summary>
public static class SiftCli
{
    public const int UserError = 1;
    public const int InternalError = 70;

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Sift: retrieval-augmented generation engine for .NET.");
        root.Options.Add(CommonOptions.Store);
        root.Options.Add(CommonOptions.Json);
        root.Subcommands.Add(IngestCommand.Create());
        root.Subcommands.Add(SearchCommand.Create());
        root.Subcommands.Add(AskCommand.Create());
        root.Subcommands.Add(FeedbackCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(KeysCommand.Create());
        root.Subcommands.Add(PromptsCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(CollectionsCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ModelsCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());

        try
        {
            var parsed = root.Parse(args);
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (SiftException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return UserError;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("error: cancelled");
            return UserError;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return UserError;
        }
        catch (Exception ex)
        {
            var detail = Environment.GetEnvironmentVariable("SIFT_DEBUG") == "1" ? ex.ToString() : $"{ex.GetType().Name}: {ex.Message}";
            await Console.Error.WriteLineAsync($"error: unexpected failure ({detail}); set SIFT_DEBUG=1 for details");
            return InternalError;
        }
    }
}
