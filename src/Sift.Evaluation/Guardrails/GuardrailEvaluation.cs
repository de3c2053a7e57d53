using System.Text.Json;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Evaluation.Statistics;

namespace Sift.Evaluation.Guardrails;

/// <summary>A labelled text: an injection or benign, in a category (an attack's kind, or the kind of benign text).</summary>
public sealed record GuardrailItem(string Id, string Text, bool Injection, string Category);

/// <summary>The share of one category's items a detector flagged (detections for injections, false positives for benign text).</summary>
public sealed record CategoryRate(string Category, bool Injection, Proportion Flagged);

/// <summary>
/// One detector (or the combination) over a labelled set: per category, then overall detection rate, false-positive
/// rate and balanced accuracy (the mean of the detection rate and the rate of benign items passed, as PINT reports).
/// </summary>
public sealed record DetectorReport(string Detector, IReadOnlyList<CategoryRate> Categories, Proportion DetectionRate, Proportion FalsePositiveRate)
{
    public double BalancedAccuracy => (DetectionRate.Rate + (1 - FalsePositiveRate.Rate)) / 2;
}

/// <summary>What the combined detectors said about one item.</summary>
/// <param name="Detector">The detector with the highest score ("none" when no detector scored it).</param>
public sealed record GuardrailPrediction(string Id, bool Flagged, double Score, string Detector);

/// <summary>Labelled sets for guardrails: JSONL lines <c>{id, text, label: injection|benign, category}</c> (other fields ignored).</summary>
public static class GuardrailDataset
{
    public static IReadOnlyList<GuardrailItem> Read(string path) => JsonLines.ReadItems(path, "guardrail dataset", Parse, item => item.Id);

    private static (GuardrailItem? Item, string? Problem) Parse(JsonElement line)
    {
        string? Text(string property) => line.ValueKind == JsonValueKind.Object && line.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var id = JsonLines.Id(line, "id");
        var (text, label, category) = (Text("text"), Text("label"), Text("category"));
        var problem = id is null ? "\"id\" is missing (a string or a number)"
            : text is null ? "\"text\" is missing or not a string"
            : label is not ("injection" or "benign") ? $"\"label\" must be \"injection\" or \"benign\" (got {(label is null ? "nothing" : $"\"{label}\"")})"
            : string.IsNullOrWhiteSpace(category) ? "\"category\" is missing, empty or not a string"
            : null;
        return problem is null ? (new GuardrailItem(id!, text!, label == "injection", category!), null) : (null, problem);
    }
}

public static class GuardrailEvaluation
{
    public const string Combined = "combined";

    /// <summary>
    /// Runs every detector on every item (as a document chunk would be inspected) and reports each detector, then
    /// their combination (flagged when any detector flags; its score is the highest), with the combination's
    /// prediction per item.
    /// </summary>
    public static (IReadOnlyList<DetectorReport> Reports, IReadOnlyList<GuardrailPrediction> Predictions) Evaluate(
        IReadOnlyList<GuardrailItem> items, IReadOnlyList<IInjectionDetector> detectors)
    {
        var findings = items.Select(item => detectors.Select(d => d.Inspect(item.Text)).ToList()).ToList();
        var predictions = items.Select((item, i) =>
        {
            var strongest = findings[i].MaxBy(f => f.Score);
            return new GuardrailPrediction(item.Id, findings[i].Any(f => f.Flagged), strongest?.Score ?? 0, strongest is { Score: > 0 } ? strongest.Detector : "none");
        }).ToList();

        var reports = detectors.Select((detector, d) => Report(detector.Name, items, [.. findings.Select(f => f[d].Flagged)])).ToList();
        if (detectors.Count > 1)
        {
            reports.Add(Report(Combined, items, [.. predictions.Select(p => p.Flagged)]));
        }

        return (reports, predictions);
    }

    /// <summary>Rates of <paramref name="flagged"/> (one per item) by category and label.</summary>
    public static DetectorReport Report(string detector, IReadOnlyList<GuardrailItem> items, IReadOnlyList<bool> flagged)
    {
        var categories = items.Select((item, i) => (item, Flagged: flagged[i]))
            .GroupBy(x => (x.item.Category, x.item.Injection))
            .OrderByDescending(g => g.Key.Injection).ThenBy(g => g.Key.Category, StringComparer.Ordinal)
            .Select(g => new CategoryRate(g.Key.Category, g.Key.Injection, Proportion.Of(g.Count(x => x.Flagged), g.Count())))
            .ToList();
        Proportion Rate(bool injection) => Proportion.Of(
            items.Where((item, i) => item.Injection == injection && flagged[i]).Count(), items.Count(item => item.Injection == injection));
        return new DetectorReport(detector, categories, Rate(true), Rate(false));
    }
}
