using System.Text.Json;
using Sift.Core.Documents;
using Sift.Core.Stages;

namespace Sift.Ingest.Loading;

/// <summary>
/// JSONL in BEIR corpus format: one object per line with <c>_id</c>, <c>title</c>, <c>text</c> and an optional
/// <c>metadata</c> object of string values. Each line is its own document with its own hash.
/// </summary>
public sealed class BeirJsonlLoader : IDocumentLoader
{
    public IReadOnlyList<string> Extensions { get; } = [".jsonl"];

    public IEnumerable<SourceDocument> Load(string path, string documentId, LoadProblems problems)
    {
        var source = Path.GetFullPath(path);
        using var reader = new StreamReader(path);
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var document = Parse(line, source, path, lineNumber, problems);
            if (document is not null)
            {
                yield return document;
            }
        }
    }

    private static SourceDocument? Parse(string line, string source, string path, int lineNumber, LoadProblems problems)
    {
        JsonElement root;
        try
        {
            using var json = JsonDocument.Parse(line);
            root = json.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            problems.Report($"{path}:{lineNumber}: not valid JSON ({ex.Message.Split('.')[0]})");
            return null;
        }

        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("_id", out var idElement)
            || idElement.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
        {
            problems.Report($"{path}:{lineNumber}: expected an object with an \"_id\" string");
            return null;
        }

        var id = idElement.ValueKind == JsonValueKind.String ? idElement.GetString()! : idElement.GetRawText();
        var title = StringProperty(root, "title");
        var text = StringProperty(root, "text");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["type"] = "jsonl" };
        if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in meta.EnumerateObject())
            {
                metadata[property.Name] = property.Value.ValueKind == JsonValueKind.String
                    ? property.Value.GetString()!
                    : property.Value.GetRawText();
            }
        }

        var hash = ContentHash.Of(id, title, text, string.Join(';', metadata.OrderBy(p => p.Key, StringComparer.Ordinal)));
        return new SourceDocument(id, source, title, text, hash, metadata, []);
    }

    private static string StringProperty(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
