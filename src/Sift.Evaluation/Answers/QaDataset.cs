using System.Text.Json;
using Sift.Core;
using Sift.Core.Documents;

namespace Sift.Evaluation.Answers;

/// <summary>One question of a QA test set; everything but the question is optional.</summary>
public sealed record QaItem(
    string Id,
    string Question,
    string? ReferenceAnswer,
    IReadOnlyList<string> RelevantDocumentIds,
    IReadOnlyList<string> ReferenceContexts,
    IReadOnlyList<string> Tags,
    bool? Answerable = null);

/// <summary>
/// QA JSONL: one object per line with <c>question</c> and optionally <c>id</c>, <c>reference_answer</c>,
/// <c>relevant_doc_ids</c>, <c>reference_contexts</c>, <c>tags</c>, <c>answerable</c> (false for questions the
/// corpus cannot answer, which should be abstained on). Other fields (e.g. <c>review</c>) are kept for people and
/// ignored. Every problem is reported with its line number.
/// </summary>
public static class QaDataset
{
    public static IReadOnlyList<QaItem> Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new SiftException($"QA dataset not found: {path}");
        }

        var items = new List<QaItem>();
        var errors = new List<string>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in JsonLines.Read(path))
        {
            var lineNumber = line.Number;
            if (line.Error is not null)
            {
                errors.Add($"{path}:{lineNumber}: {line.Error}");
                continue;
            }

            var root = line.Value;
            var question = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("question", out var q) && q.ValueKind == JsonValueKind.String ? q.GetString()! : "";
            if (question.Trim().Length == 0)
            {
                errors.Add($"{path}:{lineNumber}: \"question\" is missing or empty");
                continue;
            }

            var id = JsonLines.Id(root, "id") ?? $"line{lineNumber}";
            if (!ids.Add(id))
            {
                errors.Add($"{path}:{lineNumber}: id \"{id}\" appears twice");
                continue;
            }

            items.Add(new QaItem(
                id,
                question,
                root.TryGetProperty("reference_answer", out var answer) && answer.ValueKind == JsonValueKind.String ? answer.GetString() : null,
                Strings(root, "relevant_doc_ids", path, lineNumber, errors),
                Strings(root, "reference_contexts", path, lineNumber, errors),
                Strings(root, "tags", path, lineNumber, errors),
                Answerable(root, path, lineNumber, errors)));
        }

        if (errors.Count > 0)
        {
            throw new SiftException(errors.Count == 1 ? errors[0] : $"{errors[0]} (and {errors.Count - 1} more problems)");
        }

        return items.Count > 0 ? items : throw new SiftException($"{path} has no questions");
    }

    private static bool? Answerable(JsonElement root, string path, int line, List<string> errors)
    {
        if (!root.TryGetProperty("answerable", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            errors.Add($"{path}:{line}: \"answerable\" must be true or false");
            return null;
        }

        return value.GetBoolean();
    }

    private static List<string> Strings(JsonElement root, string name, string path, int line, List<string> errors)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
        {
            errors.Add($"{path}:{line}: \"{name}\" must be an array of strings");
            return [];
        }

        return [.. value.EnumerateArray().Select(v => v.GetString()!)];
    }
}
