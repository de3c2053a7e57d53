using System.Diagnostics;

namespace Sift.Tests.Support;

/// <summary>
/// The real Chromium browser (Debian's <c>chromium</c>, installed by .ci/run), headless: the DOM after the page
/// loaded and rendered, and a screenshot.
/// </summary>
public static class HeadlessChromium
{
    public static string Executable =>
        Environment.GetEnvironmentVariable("SIFT_CHROMIUM")
        ?? new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("Chromium is not installed: apt-get install chromium (.ci/run does), or set SIFT_CHROMIUM");

    public static async Task<string> DumpDomAsync(string file) => (await RunAsync("--dump-dom", new Uri(Path.GetFullPath(file)).AbsoluteUri)).Stdout;

    public static async Task ScreenshotAsync(string file, string png, int width = 1200, int height = 1800)
    {
        var result = await RunAsync($"--screenshot={png}", $"--window-size={width},{height}", "--hide-scrollbars", new Uri(Path.GetFullPath(file)).AbsoluteUri);
        if (!File.Exists(png))
        {
            throw new InvalidOperationException($"Chromium wrote no screenshot: {result.Stderr}");
        }
    }

    private static async Task<ProcessResult> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", $"--user-data-dir={Path.Combine(Path.GetTempPath(), "sift-chromium-" + Guid.NewGuid().ToString("N"))}", .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }
}
