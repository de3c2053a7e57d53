using System.Text.Json;
using Sift.Core;

namespace Sift.Evaluation.Reports;

public sealed record MetricInterval(string Name, double Mean, double Low, double High);

public sealed record RetrievedView(string DocumentId, double Score, bool? Relevant, string? Text);

public sealed record CaseView(string Id, string? Text, IReadOnlyDictionary<string, double> Metrics, string? Answer, IReadOnlyList<RetrievedView> Retrieved);

public sealed record SliceView(string Name, int Count, IReadOnlyList<MetricInterval> Metrics);

/// <summary>
/// What the Markdown and HTML reports show, read from a JSON report (the contract): any report written by
/// <c>sift eval retrieval|answers --out</c> renders, including one written by an earlier version.
/// </summary>
public sealed record ReportView(
    string Title,
    string Headline,
    IReadOnlyList<KeyValuePair<string, string>> Provenance,
    IReadOnlyList<MetricInterval> Metrics,
    IReadOnlyList<SliceView> Slices,
    IReadOnlyList<CaseView> PerQuery,
    IReadOnlyList<CaseView> WorstCases,
    IReadOnlyList<string> NotComputed,
    IReadOnlyList<KeyValuePair<string, string>> Judge)
{
    public static ReportView Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new SiftException($"report not found: {path}");
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            return From(document.RootElement);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new SiftException($"{path} is not an evaluation report written by Sift's evaluation ({ex.Message.Split('.')[0]})", ex);
        }
    }

    public static ReportView From(JsonElement root)
    {
        var metrics = Intervals(root.GetProperty("intervals"));
        var headline = root.TryGetProperty("headline", out var h) && h.GetString() is { } named ? named : metrics.FirstOrDefault()?.Name ?? "";
        var title = $"{Text(root, "kind") ?? "evaluation"}: {Text(root, "dataset") ?? "?"}";
        return new ReportView(
            title,
            headline,
            Pairs(root, "provenance"),
            metrics,
            root.TryGetProperty("slices", out var slices) && slices.ValueKind == JsonValueKind.Object
                ? [.. slices.EnumerateObject().Select(s => new SliceView(s.Name, Count(s.Value), Intervals(s.Value.GetProperty("metrics"))))]
                : [],
            Cases(root, "perQuery"),
            Cases(root, "worstCases"),
            root.TryGetProperty("notComputed", out var missing) ? [.. missing.EnumerateArray().Select(m => m.GetString()!)] : [],
            Pairs(root, "judge"));
    }

    private static int Count(JsonElement slice) =>
        slice.TryGetProperty("count", out var count) ? count.GetInt32() : slice.GetProperty("questions").GetInt32();

    private static List<MetricInterval> Intervals(JsonElement intervals) =>
        [.. intervals.EnumerateObject().Where(m => m.Value.ValueKind == JsonValueKind.Object).Select(m => new MetricInterval(
            m.Name, m.Value.GetProperty("mean").GetDouble(), m.Value.GetProperty("low").GetDouble(), m.Value.GetProperty("high").GetDouble()))];

    private static List<CaseView> Cases(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var cases) || cases.ValueKind != JsonValueKind.Array ? [] :
        [.. cases.EnumerateArray().Select(c => new CaseView(
            c.GetProperty("id").GetString()!,
            Text(c, "query") ?? Text(c, "question"),
            c.GetProperty("metrics").EnumerateObject().ToDictionary(m => m.Name, m => m.Value.GetDouble(), StringComparer.Ordinal),
            Text(c, "answer"),
            c.TryGetProperty("retrieved", out var retrieved) && retrieved.ValueKind == JsonValueKind.Array
                ? [.. retrieved.EnumerateArray().Select(r => new RetrievedView(
                    r.GetProperty("documentId").GetString()!,
                    r.GetProperty("score").GetDouble(),
                    r.TryGetProperty("relevant", out var relevant) && relevant.ValueKind is JsonValueKind.True or JsonValueKind.False ? relevant.GetBoolean() : null,
                    Text(r, "text")))]
                : []))];

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static List<KeyValuePair<string, string>> Pairs(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Object ? [] :
        [.. value.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText()))];
}
