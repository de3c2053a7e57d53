using System.Diagnostics;

namespace Sift.Tests.Support;

public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the real <c>sift</c> CLI as a child process against a store folder of the test's own.</summary>
public static class SiftProcess
{
    /// <summary>The CLI the tests run (built beside them), for tests that start it through another program.</summary>
    public static string CliPath { get; } = Path.Combine(AppContext.BaseDirectory, "sift.dll");

    public static Process Start(string store, params string[] args) => Start(store, new Dictionary<string, string>(), args);

    public static Process Start(string store, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CliPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // SIFT_HOME rather than --store, so the tests also prove the environment variable is honoured.
        start.Environment["SIFT_HOME"] = store;
        start.Environment["NO_COLOR"] = "1";
        start.Environment.Remove("SIFT_DEBUG");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return Process.Start(start)!;
    }

    public static Task<ProcessResult> RunAsync(string store, params string[] args) => RunAsync(store, new Dictionary<string, string>(), args);

    public static async Task<ProcessResult> RunAsync(string store, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var process = Start(store, environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }
}
