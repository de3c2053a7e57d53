using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sift.Evaluation;
using Sift.Guardrails.Injection;

namespace Sift.Benchmarks;

/// <summary>
/// What screening costs and how often it fires on ordinary text: the rule detector over every document of a corpus
/// (title and text, as a passage is inspected at answer time), timed one at a time on one thread after a warm-up pass;
/// p50/p99 per passage, per answer (10 passages), and the documents flagged (all false positives on a corpus of
/// scientific abstracts).
/// </summary>
internal static class GuardrailLatencyCommand
{
    public static int Run(string datasetFolder)
    {
        var texts = File.ReadLines(Path.Combine(datasetFolder, "corpus.jsonl")).Select(line =>
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            return (Id: root.GetProperty("_id").ToString(), Text: root.GetProperty("title").GetString() + "\n" + root.GetProperty("text").GetString());
        }).ToList();
        var detector = new RuleInjectionDetector();
        foreach (var (_, text) in texts)
        {
            detector.Inspect(text);
        }

        var (times, flagged) = (new List<double>(texts.Count), new List<(string Id, string? Evidence)>());
        foreach (var (id, text) in texts)
        {
            var started = Stopwatch.GetTimestamp();
            var finding = detector.Inspect(text);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (finding.Flagged)
            {
                flagged.Add((id, finding.Evidence));
            }
        }

        // An answer screens its 10 passages: sums of 10 consecutive documents' times.
        var answers = Enumerable.Range(0, times.Count / 10).Select(i => times.Skip(i * 10).Take(10).Sum()).ToList();
        times.Sort();
        answers.Sort();
        var name = Path.GetFileName(datasetFolder.TrimEnd('/'));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {texts.Count} documents; per passage p50 {LatencyBenchmark.Percentile(times, 0.5):0.000} ms, p99 {LatencyBenchmark.Percentile(times, 0.99):0.000} ms; per answer (10 passages) p50 {LatencyBenchmark.Percentile(answers, 0.5):0.00} ms, p99 {LatencyBenchmark.Percentile(answers, 0.99):0.00} ms; flagged {flagged.Count} ({(double)flagged.Count / texts.Count:P2})"));
        foreach (var (id, evidence) in flagged.Take(10))
        {
            Console.WriteLine($"  flagged {id}: \"{evidence}\"");
        }

        return 0;
    }
}
