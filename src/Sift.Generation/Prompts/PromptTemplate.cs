using System.Text;
using Sift.Core;
using Sift.Core.Documents;

namespace Sift.Generation.Prompts;

/// <summary>
/// A prompt template file: an id, a system part (trusted instructions) and a user part into which the context and
/// question are placed. Its version is the id plus a hash of the file, recorded with every answer it produced.
/// </summary>
public sealed record PromptTemplate(string Id, string Description, string System, string User, string Hash)
{
    public const string ContextSlot = "{{context}}";
    public const string QuestionSlot = "{{question}}";

    public string Version => $"{Id}@{Hash[..12]}";

    /// <summary>The user message: the retrieved passages fenced as data, then the question.</summary>
    public string RenderUser(string context, string question) =>
        User.Replace(ContextSlot, context, StringComparison.Ordinal).Replace(QuestionSlot, question, StringComparison.Ordinal);

    public static PromptTemplate Parse(string text, string origin)
    {
        var file = PromptFile.Parse(text);
        if (!file.Header.TryGetValue("id", out var id) || !file.Sections.TryGetValue("system", out var system) || !file.Sections.TryGetValue("user", out var user))
        {
            throw new SiftException($"prompt template {origin} needs an 'id:' line and '### system' and '### user' sections");
        }

        if (!user.Contains(ContextSlot, StringComparison.Ordinal) || !user.Contains(QuestionSlot, StringComparison.Ordinal))
        {
            throw new SiftException($"prompt template {origin}: the user section must contain {ContextSlot} and {QuestionSlot}");
        }

        return new PromptTemplate(id, file.Header.GetValueOrDefault("description", ""), system, user, ContentHash.Of(text));
    }
}

/// <summary>
/// The layout shared by prompt and rubric files: <c>key: value</c> header lines, then sections each opened by a
/// <c>### name</c> line. Section texts are trimmed.
/// </summary>
public sealed record PromptFile(IReadOnlyDictionary<string, string> Header, IReadOnlyDictionary<string, string> Sections)
{
    public static PromptFile Parse(string text)
    {
        var header = new Dictionary<string, string>(StringComparer.Ordinal);
        var sections = new Dictionary<string, StringBuilder>(StringComparer.Ordinal);
        StringBuilder? current = null;
        foreach (var line in text.ReplaceLineEndings("\n").Split('\n'))
        {
            if (line.StartsWith("### ", StringComparison.Ordinal))
            {
                current = sections[line[4..].Trim()] = new StringBuilder();
            }
            else if (current is not null)
            {
                current.Append(line).Append('\n');
            }
            else if (line.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
            {
                header[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        return new PromptFile(header, sections.ToDictionary(s => s.Key, s => s.Value.ToString().Trim(), StringComparer.Ordinal));
    }
}

/// <summary>The prompt templates Sift ships, and any *.prompt files in a folder of the user's, which win on equal ids.</summary>
public static class PromptLibrary
{
    public const string DefaultId = "grounded-answer";

    public static IReadOnlyList<PromptTemplate> Load(string? folder = null)
    {
        var templates = new Dictionary<string, PromptTemplate>(StringComparer.Ordinal);
        var assembly = typeof(PromptLibrary).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.EndsWith(".prompt", StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            var template = PromptTemplate.Parse(reader.ReadToEnd(), name);
            templates[template.Id] = template;
        }

        if (folder is not null && Directory.Exists(folder))
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*.prompt").Order(StringComparer.Ordinal))
            {
                var template = PromptTemplate.Parse(File.ReadAllText(file), file);
                templates[template.Id] = template;
            }
        }

        return [.. templates.Values.OrderBy(t => t.Id, StringComparer.Ordinal)];
    }

    public static PromptTemplate Get(string id, string? folder = null) =>
        Load(folder).FirstOrDefault(t => t.Id == id)
        ?? throw new SiftException($"unknown prompt '{id}' (known: {string.Join(", ", Load(folder).Select(t => t.Id))})");
}
