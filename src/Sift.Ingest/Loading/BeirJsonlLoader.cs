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
        foreach (var line in JsonLines.Read(path))
        {
            var document = Parse(line, source, path, problems);
            if (document is not null)
            {
                yield return document;
            }
        }
    }

    private static SourceDocument? Parse(JsonLine line, string source, string path, LoadProblems problems)
    {
        if (line.Error is not null)
        {
            problems.Report($"{path}:{line.Number}: {line.Error}");
            return null;
        }

        var root = line.Value;
        if (JsonLines.Id(root, "_id") is not { } id)
        {
            problems.Report($"{path}:{line.Number}: expected an object with an \"_id\" string");
            return null;
        }

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
