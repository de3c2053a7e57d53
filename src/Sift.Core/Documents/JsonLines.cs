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
