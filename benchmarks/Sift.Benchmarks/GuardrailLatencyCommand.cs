using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sift.Composition;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Evaluation;

namespace Sift.Benchmarks;

/// <summary>
/// What the guardrails cost and how often they fire on ordinary text, timed one at a time on one thread after a warm-up
/// pass, p50/p99: per passage (injection rules over title and text, as a passage is inspected at answer time); per
/// query (the question screened for injection and personal data, its 10 passages for injection, and an answer-sized
/// text for personal data); per ingested chunk (the default ingest screen: injection and personal data); and the
/// documents flagged (on scientific abstracts, all false positives) and personal data found.
/// </summary>
internal static class GuardrailLatencyCommand
{
    private const int PassagesPerAnswer = 10;

    public static int Run(string datasetFolder)
    {
        var texts = File.ReadLines(Path.Combine(datasetFolder, "corpus.jsonl")).Select(line =>
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            return (Id: root.GetProperty("_id").ToString(), Text: root.GetProperty("title").GetString() + "\n" + root.GetProperty("text").GetString());
        }).ToList();
        var questions = File.ReadLines(Path.Combine(datasetFolder, "queries.jsonl")).Select(line =>
        {
            using var json = JsonDocument.Parse(line);
            return json.RootElement.GetProperty("text").GetString()!;
        }).ToList();
        var injection = GuardrailDetectors.Injection();
        var pii = GuardrailDetectors.Pii;
        var screen = GuardrailDetectors.IngestScreen(GuardrailPolicy.Default);
        var chunks = texts.Select((t, i) => new Chunk(t.Id, 0, t.Text, 0, t.Text.Length, [], null, "")).ToList();

        bool Flagged(string text) => injection.Any(d => d.Inspect(text).Flagged);
        void Query(int i)
        {
            var question = questions[i % questions.Count];
            Flagged(question);
            pii.Find(question);
            for (var p = 0; p < PassagesPerAnswer; p++)
            {
                Flagged(texts[(i * PassagesPerAnswer + p) % texts.Count].Text);
            }

            var answer = texts[i % texts.Count].Text;
            pii.Find(answer.Length > 600 ? answer[..600] : answer);
        }

        // Warm-up: every path once over everything.
        foreach (var (i, chunk) in chunks.Index())
        {
            Flagged(chunk.Text);
            screen.Screen(chunk.DocumentId, "", [chunk]);
            Query(i);
        }

        var flagged = texts.Where(t => Flagged(t.Text)).Select(t => t.Id).ToList();
        var found = texts.SelectMany(t => pii.Find(t.Text).Select(m => (m.Type, Value: m.ValueIn(t.Text), t.Id))).ToList();
        var personal = found.GroupBy(m => m.Type).ToDictionary(g => g.Key, g => g.Count());
        var passage = Time(texts.Count, i => Flagged(texts[i].Text));
        var query = Time(Math.Min(questions.Count * 3, texts.Count), Query);
        var ingest = Time(chunks.Count, i => screen.Screen(chunks[i].DocumentId, "", [chunks[i]]));

        var name = Path.GetFileName(datasetFolder.TrimEnd('/'));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {texts.Count} documents, {questions.Count} questions"));
        Console.WriteLine($"  per passage (injection rules):           {passage}");
        Console.WriteLine($"  per query (question, {PassagesPerAnswer} passages, answer): {query}");
        Console.WriteLine($"  per ingested chunk (injection + PII):    {ingest}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  flagged as injection: {flagged.Count} ({(double)flagged.Count / texts.Count:P2}){(flagged.Count > 0 ? ": " + string.Join(", ", flagged.Take(10)) : "")}"));
        Console.WriteLine($"  personal data found: {(personal.Count == 0 ? "none" : string.Join(", ", personal.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}")))}");
        foreach (var group in found.GroupBy(m => m.Type).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"    {group.Key}: {string.Join("; ", group.Take(4).Select(m => $"\"{m.Value}\" ({m.Id})"))}");
        }
        return 0;
    }

    /// <summary>p50 and p99 of <paramref name="count"/> timed calls.</summary>
    private static string Time(int count, Action<int> run)
    {
        var times = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            run(i);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        times.Sort();
        return string.Create(CultureInfo.InvariantCulture, $"p50 {LatencyBenchmark.Percentile(times, 0.5):0.000} ms, p99 {LatencyBenchmark.Percentile(times, 0.99):0.000} ms ({count} timed)");
    }
}
