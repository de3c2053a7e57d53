using System.CommandLine;
using Microsoft.Data.Sqlite;
using Sift.Cli.Commands;
using Sift.Core;

namespace Sift.Cli;

/// <summary>The <c>sift</c> command line: commands, and one place that turns errors into one clear line.</summary>
public static class SiftCli
{
    public const int UserError = 1;
    public const int InternalError = 70;

    /// <summary>Lines as long as they are when no terminal is watching (paths must survive pipes), else $COLUMNS.</summary>
    private static void SetOutputWidth()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0)
        {
            Spectre.Console.AnsiConsole.Profile.Width = columns;
        }
        else if (Console.IsOutputRedirected)
        {
            Spectre.Console.AnsiConsole.Profile.Width = 100_000;
        }
    }

    /// <summary>A parser message with .NET type names said in words ("expected type 'System.Nullable`1[System.Int32]'").</summary>
    private static string Plain(string message) => message
        .Replace("expected type 'System.Nullable`1[System.Int32]'", "a whole number", StringComparison.Ordinal)
        .Replace("expected type 'System.Int32'", "a whole number", StringComparison.Ordinal)
        .Replace("expected type 'System.Nullable`1[System.Double]'", "a number", StringComparison.Ordinal)
        .Replace("expected type 'System.Double'", "a number", StringComparison.Ordinal);

    /// <summary>The library's option names as this CLI's flags (see <see cref="InvalidOptionException"/>).</summary>
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["k"] = "-k",
        ["mode"] = "--mode",
        ["fusion"] = "--fusion",
        ["expansion"] = "--expand",
        ["detectors"] = "--detectors",
        ["dense weight"] = "--dense-weight",
        ["fusion depth"] = "--fusion-depth",
        ["injection policy"] = "--injection",
        ["PII policy"] = "--pii",
        ["split"] = "--split",
        ["steps"] = "--steps",
        ["step tokens"] = "--step-tokens",
        ["step seconds"] = "--step-seconds",
        ["step cost"] = "--step-cost",
        ["rerank depth"] = "--rerank-depth",
        ["BM25 k1"] = "--bm25-k1",
        ["BM25 b"] = "--bm25-b",
        ["maximum drop"] = "--max-drop",
        ["collections"] = "--collections",
        ["OIDC authority"] = "--oidc-authority",
        ["OIDC audience"] = "--oidc-audience",
        ["TLS certificate"] = "--tls-cert",
        ["TLS key"] = "--tls-key",
        ["no auth"] = "--no-auth",
        ["listen addresses"] = "--urls",
        ["OTLP protocol"] = "--otlp-protocol (or $OTEL_EXPORTER_OTLP_PROTOCOL)",
        ["keep last"] = "--keep-last",
    };

    private const int Corrupt = 11; // SQLITE_CORRUPT
    private const int NotADatabase = 26; // SQLITE_NOTADB

    public static async Task<int> RunAsync(string[] args)
    {
        SetOutputWidth();
        var root = new RootCommand("Sift: retrieval-augmented generation engine for .NET.");
        root.Options.Add(CommonOptions.Store);
        root.Options.Add(CommonOptions.Json);
        root.Subcommands.Add(IngestCommand.Create());
        root.Subcommands.Add(SearchCommand.Create());
        root.Subcommands.Add(AskCommand.Create());
        root.Subcommands.Add(FeedbackCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(McpCommand.Create());
        root.Subcommands.Add(KeysCommand.Create());
        root.Subcommands.Add(PromptsCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(TuneCommand.Create());
        root.Subcommands.Add(CollectionsCommand.Create());
        root.Subcommands.Add(StoreCommand.Create());
        root.Subcommands.Add(DocumentsCommand.Create());
        root.Subcommands.Add(VersionsCommand.Create());
        root.Subcommands.Add(MonitorCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ModelsCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());

        try
        {
            var parsed = root.Parse(args);
            var wantsHelp = args.Any(a => a is "-h" or "--help" or "-?");
            if (parsed.Errors.Count > 0 && !wantsHelp)
            {
                // One line, as for every other error, and where to look: not the whole help text.
                var names = new List<string>();
                for (var result = parsed.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
                {
                    names.Insert(0, result.Command == root ? "sift" : result.Command.Name);
                }

                var messages = parsed.Errors.Select(e => Plain(string.Join(' ', e.Message.Split(['\n', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim()))));
                await Console.Error.WriteLineAsync($"error: {string.Join("; ", messages)}");
                await Console.Error.WriteLineAsync($"usage: see '{string.Join(' ', names)} --help'");
                return UserError;
            }

            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (InvalidOptionException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Describe(Flags)}");
            return UserError;
        }
        catch (SiftException ex) when (ex.InnerException is SqliteException)
        {
            // The library names the collection; the way forward is the CLI's to name.
            await Console.Error.WriteLineAsync($"error: {ex.Message}; see what is wrong with: sift collections check NAME, and salvage it with: sift collections repair NAME --to NEWNAME");
            return UserError;
        }
        catch (SiftException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return UserError;
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is Corrupt or NotADatabase)
        {
            await Console.Error.WriteLineAsync(
                $"error: a collection's database is damaged ({ex.Message}); see what is wrong with: sift collections check NAME, and salvage it with: sift collections repair NAME --to NEWNAME");
            return UserError;
        }
        catch (System.Data.Common.DbException ex) when (ex.IsTransient)
        {
            // The PostgreSQL store went away mid-command (a restart, a network fault): worth retrying, not a bug.
            await Console.Error.WriteLineAsync($"error: the store could not be reached ({ex.Message}); try again");
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
