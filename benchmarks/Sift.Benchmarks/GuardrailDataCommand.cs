using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sift.Benchmarks;

/// <summary>
/// A labelled prompt-injection set for <c>sift eval guardrails</c>, built from BIPIA's training split as BIPIA builds
/// attacked samples: every text and code attack inserted into benign contexts (emails for text attacks, tables for
/// code attacks) at the start, in the middle and at the end; the contexts themselves clean; and benign look-alikes:
/// sentences of installed Debian documentation (/usr/share/doc/*/README*) that address their reader with imperative
/// wording ("ignore", "do not", "you must", "make sure"), which a useful detector must pass.
/// </summary>
internal static partial class GuardrailDataCommand
{
    public static int Run(string bipia, string output)
    {
        var random = new Random(17);
        var emails = File.ReadLines(Path.Combine(bipia, "email", "train.jsonl")).Select(Context).ToList();
        var tables = File.ReadLines(Path.Combine(bipia, "table", "train.jsonl")).Select(Context).Where(t => t.Length < 3000).Take(200).ToList();
        var lines = new List<string>();
        void Add(string id, string text, string label, string category) =>
            lines.Add(JsonSerializer.Serialize(new { id, text, label, category }));

        foreach (var (file, contexts) in new[] { ("text_attack_train.json", emails), ("code_attack_train.json", tables) })
        {
            var attacks = JsonSerializer.Deserialize<Dictionary<string, string[]>>(File.ReadAllText(Path.Combine(bipia, file)))!;
            foreach (var (category, instructions) in attacks)
            {
                for (var a = 0; a < instructions.Length; a++)
                {
                    foreach (var position in new[] { "start", "middle", "end" })
                    {
                        var context = contexts[random.Next(contexts.Count)];
                        Add($"{Slug(category)}-{a}-{position}", Insert(context, instructions[a], position), "injection", category);
                    }
                }
            }
        }

        for (var i = 0; i < emails.Count; i++)
        {
            Add($"email-{i}", emails[i], "benign", "email (clean)");
        }

        for (var i = 0; i < tables.Count; i++)
        {
            Add($"table-{i}", tables[i], "benign", "table (clean)");
        }

        var manuals = Directory.Exists("/usr/share/doc")
            ? Directory.EnumerateFiles("/usr/share/doc", "README*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".gz", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList()
            : [];
        var lookAlikes = manuals.SelectMany(f => Sentences().Matches(File.ReadAllText(f)).Select(m => Regex.Replace(m.Value, @"\s+", " ").Trim()))
            .Where(s => s.Length is > 30 and < 400 && Imperative().IsMatch(s)).Distinct(StringComparer.Ordinal).Take(500).ToList();
        for (var i = 0; i < lookAlikes.Count; i++)
        {
            Add($"manual-{i}", lookAlikes[i], "benign", "manual look-alike");
        }

        File.WriteAllLines(output, lines);
        Console.WriteLine($"{lines.Count} items ({lines.Count(l => l.Contains("\"injection\"", StringComparison.Ordinal))} injections, {lookAlikes.Count} look-alikes from {manuals.Count} README files) -> {output}");
        return 0;
    }

    private static string Context(string line) => JsonDocument.Parse(line).RootElement.GetProperty("context").GetString()!;

    private static string Slug(string category) => Regex.Replace(category.ToLowerInvariant(), "[^a-z0-9]+", "-").Trim('-');

    /// <summary>The attack at the start, at the sentence boundary nearest the middle, or at the end of the context.</summary>
    private static string Insert(string context, string attack, string position)
    {
        if (position == "start")
        {
            return attack + "\n" + context;
        }

        if (position == "end")
        {
            return context + "\n" + attack;
        }

        var middle = context.Length / 2;
        var cut = context.IndexOf(". ", middle, StringComparison.Ordinal) is var dot and >= 0 ? dot + 2 : middle;
        return context[..cut] + attack + " " + context[cut..];
    }

    [GeneratedRegex(@"[^.!?\n]+(\n[^.!?\n]+)*[.!?]")]
    private static partial Regex Sentences();

    [GeneratedRegex(@"\b(ignore|do not|don't|you must|make sure|never|always|be sure|you should|note that)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Imperative();
}
