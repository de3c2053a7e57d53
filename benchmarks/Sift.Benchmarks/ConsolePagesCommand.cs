using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sift.Benchmarks;

/// <summary>
/// The console's pages against a running <c>sift serve</c> (run-console-pages.sh seeds SciFact, two evaluation runs
/// and query-log traffic): per page, the bytes a first visit transfers (the page and every script and stylesheet
/// it loads, gzipped as served) and the server's time to answer (time to the last byte over loopback, median and
/// 95th percentile of 50 requests after 5 warm-ups).
/// </summary>
internal static partial class ConsolePagesCommand
{
    private const int WarmUps = 5;
    private const int Samples = 50;

    public static async Task<int> Run(string baseUrl, string key, string collection, int traffic)
    {
        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None };
        using var client = new HttpClient(handler) { BaseAddress = new Uri(baseUrl) };
        client.DefaultRequestHeaders.AcceptEncoding.ParseAdd("gzip");
        var token = Token(await ReadAsync(await client.GetAsync("/console/signin")));
        var signIn = await client.PostAsync("/console/signin", new FormUrlEncodedContent([new("csrf", token), new("key", key)]));
        if (signIn.StatusCode != HttpStatusCode.Redirect)
        {
            var notice = Regex.Match(await ReadAsync(signIn), "class=\"notice[^>]*>([^<]*)<").Groups[1].Value;
            Console.Error.WriteLine($"sign-in failed: {(int)signIn.StatusCode} {notice}");
            return 1;
        }

        // Query-log traffic for the monitoring page, and a hit to open as a passage.
        using var api = new HttpClient { BaseAddress = new Uri(baseUrl) };
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        string[] words = ["cancer", "vitamin", "protein", "cells", "risk", "children", "mortality", "gene", "therapy", "infection"];
        JsonElement first = default;
        for (var i = 0; i < traffic; i++)
        {
            var response = await api.PostAsJsonAsync($"/v1/collections/{collection}/search", new { query = $"{words[i % words.Length]} {words[(i * 7 + 3) % words.Length]}" });
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (i == 0)
            {
                first = body.GetProperty("results")[0];
            }
        }

        var (doc, chunk) = (first.GetProperty("documentId").GetString()!, first.GetProperty("chunkId").GetInt64());
        var runs = RunIds().Matches(await ReadAsync(await client.GetAsync("/console/evaluations"))).Select(m => WebUtility.UrlDecode(m.Groups[1].Value)).Distinct().ToList();
        var pages = new List<(string Name, string Path)>
        {
            ("sign-in", "/console/signin"),
            ("playground", "/console/"),
            ("playground: search", $"/console/?c={collection}&q=vitamin+d+deficiency+risk&action=search"),
            ("playground: answer", $"/console/?c={collection}&q=Does+vitamin+D+lower+cancer+risk%3F&action=ask"),
            ("passage", $"/console/passage?c={collection}&doc={Uri.EscapeDataString(doc)}&chunk={chunk}"),
            ("compare", $"/console/compare?q=vitamin+d+deficiency&a={collection}&b={collection}&mb=bm25"),
            ("collections", "/console/collections"),
            ("collection (first 200 documents)", $"/console/collections/{collection}"),
            ("evaluations", "/console/evaluations"),
            ("evaluation run", $"/console/evaluations/run?id={Uri.EscapeDataString(runs[0])}"),
            ("two runs compared", $"/console/evaluations/compare?a={Uri.EscapeDataString(runs[^1])}&b={Uri.EscapeDataString(runs[0])}"),
            ("monitoring (24 h)", "/console/monitoring"),
            ("admin", "/console/admin"),
        };

        Console.WriteLine($"| Page | HTML (gzip) | Scripts and styles (gzip) | First visit, total | Server time p50 | p95 |");
        Console.WriteLine($"|---|---:|---:|---:|---:|---:|");
        foreach (var (name, path) in pages)
        {
            var response = await client.GetAsync(path);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Console.Error.WriteLine($"{path}: {(int)response.StatusCode}");
                return 1;
            }

            var page = await response.Content.ReadAsByteArrayAsync();
            var html = await ReadAsync(response, page);
            long assets = 0;
            foreach (var asset in Assets().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).Distinct())
            {
                assets += (await client.GetByteArrayAsync(asset)).Length;
            }

            var times = new List<double>();
            for (var i = 0; i < WarmUps + Samples; i++)
            {
                var started = Stopwatch.GetTimestamp();
                using var timed = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
                await timed.Content.CopyToAsync(Stream.Null);
                if (i >= WarmUps)
                {
                    times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }

            times.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {Kb(page.Length)} | {Kb(assets)} | {Kb(page.Length + assets)} | {Evaluation.LatencyBenchmark.Percentile(times, 0.5):0.0} ms | {Evaluation.LatencyBenchmark.Percentile(times, 0.95):0.0} ms |"));
        }

        return 0;
    }

    private static string Kb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1000.0:0.0} kB");

    private static string Token(string html) => CsrfField().Match(html).Groups[1].Value;

    private static async Task<string> ReadAsync(HttpResponseMessage response, byte[]? body = null)
    {
        body ??= await response.Content.ReadAsByteArrayAsync();
        if (response.Content.Headers.ContentEncoding.Contains("gzip"))
        {
            using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(body), System.IO.Compression.CompressionMode.Decompress);
            using var reader = new StreamReader(gzip);
            return await reader.ReadToEndAsync();
        }

        return System.Text.Encoding.UTF8.GetString(body);
    }

    [GeneratedRegex("name=\"csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();

    [GeneratedRegex("(?:src|href)=\"(/console/assets/[^\"]+)\"")]
    private static partial Regex Assets();

    [GeneratedRegex("/console/evaluations/run\\?id=([^\"&]+)\"")]
    private static partial Regex RunIds();
}
