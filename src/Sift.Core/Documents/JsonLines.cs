using System.Text.Json;

namespace Sift.Core.Documents;

/// <summary>One non-blank line of a JSONL file: its 1-based number and either the parsed value or why it did not parse.</summary>
public readonly record struct JsonLine(int Number, JsonElement Value, string? Error);

/// <summary>
/// Reads JSONL files line by line (corpora, queries, QA sets), skipping blank lines and keeping line numbers so every
/// problem can be reported as <c>file:line</c>.
/// </summary>
public static class JsonLines
{
    public static IEnumerable<JsonLine> Read(string path)
    {
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonElement value;
            string? error = null;
            try
            {
                using var json = JsonDocument.Parse(line);
                value = json.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                value = default;
                error = $"not valid JSON ({ex.Message.Split('.')[0]})";
            }

            yield return new JsonLine(number, value, error);
        }
    }

    /// <summary>
    /// A labelled set, one item per line: each line parsed by <paramref name="parse"/> (an item, or the problem with it),
    /// ids unique. Every bad line is reported as file:line (the first ten), and nothing is returned unless all are good.
    /// </summary>
    /// <param name="what">The set's kind for messages ("guardrail dataset").</param>
    public static IReadOnlyList<T> ReadItems<T>(string path, string what, Func<JsonElement, (T? Item, string? Problem)> parse, Func<T, string> id)
        where T : class
    {
        if (!File.Exists(path))
        {
            throw new SiftException($"{path}: no such file");
        }

        var (items, errors, ids) = (new List<T>(), new List<string>(), new HashSet<string>(StringComparer.Ordinal));
        foreach (var line in Read(path))
        {
            var (item, problem) = line.Error is null ? parse(line.Value) : (null, line.Error);
            if (problem is null && !ids.Add(id(item!)))
            {
                problem = $"id \"{id(item!)}\" appears twice";
            }

            if (problem is not null)
            {
                errors.Add($"{path}:{line.Number}: {problem}");
                continue;
            }

            items.Add(item!);
        }

        if (errors.Count > 0)
        {
            throw new SiftException($"{errors.Count} invalid line(s) in the {what}:\n  {string.Join("\n  ", errors.Take(10))}{(errors.Count > 10 ? $"\n  ... and {errors.Count - 10} more" : "")}");
        }

        return items.Count > 0 ? items : throw new SiftException($"{path}: no items");
    }

    /// <summary>An id property given as a string or a number (BEIR uses both); null when absent or of another kind.</summary>
    public static string? Id(JsonElement record, string property) =>
        record.ValueKind == JsonValueKind.Object && record.TryGetProperty(property, out var id)
            ? id.ValueKind switch
            {
                JsonValueKind.String => id.GetString(),
                JsonValueKind.Number => id.GetRawText(),
                _ => null,
            }
            : null;
}
