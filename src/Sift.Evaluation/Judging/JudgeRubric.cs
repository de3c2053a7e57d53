using NJsonSchema;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Generation.Prompts;

namespace Sift.Evaluation.Judging;

/// <summary>
/// A fixed judge prompt: trusted instructions, a user part with <c>{{slot}}</c> placeholders, and the JSON Schema every
/// verdict must satisfy. Its version (id plus a hash of the file) keys the verdict cache and is recorded in reports,
/// so changing a rubric never reuses verdicts given under the old wording.
/// </summary>
public sealed class JudgeRubric
{
    private readonly JsonSchema _schema;

    private JudgeRubric(string id, string description, string system, string user, string schemaText, string hash)
    {
        Id = id;
        Description = description;
        System = system;
        User = user;
        SchemaText = schemaText;
        Hash = hash;
        _schema = JsonSchema.FromJsonAsync(schemaText).GetAwaiter().GetResult();
    }

    public string Id { get; }

    public string Description { get; }

    public string System { get; }

    public string User { get; }

    public string SchemaText { get; }

    public string Hash { get; }

    public string Version => $"{Id}@{Hash[..12]}";

    public string RenderUser(IReadOnlyDictionary<string, string> slots)
    {
        var text = User;
        foreach (var (name, value) in slots)
        {
            text = text.Replace("{{" + name + "}}", value, StringComparison.Ordinal);
        }

        var missing = text.IndexOf("{{", StringComparison.Ordinal);
        return missing < 0 ? text : throw new SiftException($"rubric {Id}: slot {text[missing..(text.IndexOf("}}", missing, StringComparison.Ordinal) + 2)]} has no value");
    }

    /// <summary>Schema violations of a verdict, as "path: problem" lines; empty when it is valid.</summary>
    public IReadOnlyList<string> Validate(string json) => [.. Flatten(_schema.Validate(json))];

    /// <summary>The innermost violations: "verdicts[0] is not valid" says less than "verdicts[0].supported: BooleanExpected".</summary>
    private static IEnumerable<string> Flatten(IEnumerable<NJsonSchema.Validation.ValidationError> errors) =>
        errors.SelectMany(e => e is NJsonSchema.Validation.ChildSchemaValidationError child && child.Errors.Values.Any(v => v.Count > 0)
            ? Flatten(child.Errors.Values.SelectMany(v => v))
            : [$"{(string.IsNullOrEmpty(e.Path) ? "#" : e.Path)}: {e.Kind}"]);

    public static JudgeRubric Parse(string text, string origin)
    {
        var file = PromptFile.Parse(text);
        if (!file.Header.TryGetValue("id", out var id)
            || !file.Sections.TryGetValue("system", out var system)
            || !file.Sections.TryGetValue("user", out var user)
            || !file.Sections.TryGetValue("schema", out var schema))
        {
            throw new SiftException($"rubric {origin} needs an 'id:' line and '### system', '### user' and '### schema' sections");
        }

        return new JudgeRubric(id, file.Header.GetValueOrDefault("description", ""), system, user, schema, ContentHash.Of(text));
    }
}

/// <summary>The rubrics Sift ships (embedded; not user-editable, so scores stay comparable between teams and runs).</summary>
public static class Rubrics
{
    private static readonly Lazy<IReadOnlyDictionary<string, JudgeRubric>> All = new(() =>
    {
        var assembly = typeof(Rubrics).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.EndsWith(".rubric", StringComparison.Ordinal))
            .Select(n =>
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                return JudgeRubric.Parse(reader.ReadToEnd(), n);
            })
            .ToDictionary(r => r.Id, StringComparer.Ordinal);
    });

    public static JudgeRubric Claims => All.Value["claims"];

    public static JudgeRubric Support => All.Value["support"];

    public static JudgeRubric AnswerQuestions => All.Value["answer-questions"];

    public static JudgeRubric ContextUsefulness => All.Value["context-usefulness"];

    public static JudgeRubric TestQuestion => All.Value["test-question"];

    public static IReadOnlyCollection<JudgeRubric> List => [.. All.Value.Values.OrderBy(r => r.Id, StringComparer.Ordinal)];
}
