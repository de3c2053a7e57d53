using System.Text.Json;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Evaluation.Statistics;

namespace Sift.Evaluation.Guardrails;

/// <summary>One piece of personal data a labelled text holds: its type and its exact text.</summary>
public sealed record PiiEntity(string Type, string Value);

/// <summary>A labelled text: every piece of personal data in it (none for a hard negative), and the kind of text.</summary>
public sealed record PiiItem(string Id, string Text, IReadOnlyList<PiiEntity> Entities, string Category);

/// <summary>
/// One type's precision (of what the detector reported as that type, the share that was labelled so) and recall (of
/// what was labelled, the share found as that type), both with Wilson 95% intervals.
/// </summary>
public sealed record PiiTypeReport(string Type, bool Checksummed, Proportion Precision, Proportion Recall)
{
    public int FalsePositives => Precision.Trials - Precision.Successes;
}

/// <summary>Labelled PII sets: JSONL lines <c>{id, text, pii: [{type, value}], category}</c> (category optional; other fields ignored).</summary>
public static class PiiDataset
{
    public static IReadOnlyList<PiiItem> Read(string path) => JsonLines.ReadItems(path, "PII dataset", Parse, item => item.Id);

    private static (PiiItem? Item, string? Problem) Parse(JsonElement line)
    {
        string? Text(JsonElement element, string property) =>
            element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var id = JsonLines.Id(line, "id");
        var text = Text(line, "text");
        if (id is null || text is null)
        {
            return (null, id is null ? "\"id\" is missing (a string or a number)" : "\"text\" is missing or not a string");
        }

        if (!line.TryGetProperty("pii", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            return (null, "\"pii\" is missing or not an array (use [] for a text without personal data)");
        }

        var entities = new List<PiiEntity>();
        foreach (var (entity, n) in list.EnumerateArray().Select((e, n) => (e, n)))
        {
            var (type, value) = (Text(entity, "type"), Text(entity, "value"));
            if (string.IsNullOrWhiteSpace(type) || string.IsNullOrEmpty(value) || !text.Contains(value, StringComparison.Ordinal))
            {
                return (null, $"pii[{n}] needs a \"type\" and a \"value\" found in the text");
            }

            entities.Add(new PiiEntity(type, value));
        }

        return (new PiiItem(id, text, entities, Text(line, "category") ?? "all"), null);
    }
}

public static class PiiEvaluation
{
    /// <summary>
    /// Runs the detector on every item and scores its matches per type: a match is right when the item holds an
    /// unmatched labelled value of that type with the same text (so each labelled value is found at most once).
    /// </summary>
    public static (IReadOnlyList<PiiTypeReport> Reports, IReadOnlyList<(string Id, IReadOnlyList<PiiEntity> Found)> Predictions) Evaluate(
        IReadOnlyList<PiiItem> items, IPiiDetector detector)
    {
        var (hits, reported, labelled) = (new Dictionary<string, int>(), new Dictionary<string, int>(), new Dictionary<string, int>());
        var predictions = new List<(string, IReadOnlyList<PiiEntity>)>();
        foreach (var item in items)
        {
            var matches = detector.Find(item.Text);
            var found = matches.Select(m => new PiiEntity(m.Type, m.ValueIn(item.Text).Trim())).ToList();
            predictions.Add((item.Id, found));
            var open = item.Entities.ToList();
            foreach (var entity in item.Entities)
            {
                labelled[entity.Type] = labelled.GetValueOrDefault(entity.Type) + 1;
            }

            foreach (var entity in found)
            {
                reported[entity.Type] = reported.GetValueOrDefault(entity.Type) + 1;
                var index = open.FindIndex(e => e.Type == entity.Type && e.Value.Trim() == entity.Value);
                if (index >= 0)
                {
                    hits[entity.Type] = hits.GetValueOrDefault(entity.Type) + 1;
                    open.RemoveAt(index);
                }
            }
        }

        var reports = labelled.Keys.Union(reported.Keys).Order(StringComparer.Ordinal)
            .Select(type => new PiiTypeReport(
                type,
                detector.Types.GetValueOrDefault(type),
                Proportion.Of(hits.GetValueOrDefault(type), reported.GetValueOrDefault(type)),
                Proportion.Of(hits.GetValueOrDefault(type), labelled.GetValueOrDefault(type))))
            .ToList();
        return (reports, predictions);
    }

    /// <summary>Labelled types the detector never reports (a misspelt label, or a type it does not know): their recall is 0 by construction.</summary>
    public static IReadOnlyList<string> UnknownTypes(IReadOnlyList<PiiItem> items, IPiiDetector detector) =>
        [.. items.SelectMany(i => i.Entities).Select(e => e.Type).Distinct(StringComparer.Ordinal).Where(t => !detector.Types.ContainsKey(t)).Order(StringComparer.Ordinal)];
}
