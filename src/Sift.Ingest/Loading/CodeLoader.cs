using System.Text.RegularExpressions;
using Sift.Core.Documents;
using Sift.Core.Stages;

namespace Sift.Ingest.Loading;

/// <summary>
/// Source code: the text as written, in sections that start where a function, method, class or similar declaration
/// starts (with the comments, decorators and attributes just above it). Boundaries are found by a regular expression per
/// language over lines at low indentation, not by parsing: a declaration written in an unusual way is missed and only
/// makes its neighbour's section longer. A section's heading path is the declaration's name, under the declarations
/// less indented than it that are still open (a Python method is "Parser > parse"). Metadata type is the language.
/// </summary>
public sealed partial class CodeLoader : IDocumentLoader
{
    private sealed record Language(string Name, Regex Declaration, string[] Attached);

    private static readonly string[] SlashComments = ["//", "/*", "*"];
    private static readonly string[] HashComments = ["#"];

    private static readonly Language CSharp = new("csharp", CSharpDeclaration(), [.. SlashComments, "["]);
    private static readonly Language Java = new("java", CSharpDeclaration(), [.. SlashComments, "@"]);
    private static readonly Language Script = new("javascript", ScriptDeclaration(), SlashComments);
    private static readonly Language TypeScript = new("typescript", ScriptDeclaration(), [.. SlashComments, "@"]);
    private static readonly Language C = new("c", CDeclaration(), SlashComments);
    private static readonly Language Cpp = new("cpp", CDeclaration(), SlashComments);

    private static readonly Dictionary<string, Language> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".cs"] = CSharp,
        [".java"] = Java,
        [".kt"] = new("kotlin", KotlinDeclaration(), [.. SlashComments, "@"]),
        [".js"] = Script,
        [".mjs"] = Script,
        [".cjs"] = Script,
        [".jsx"] = Script,
        [".ts"] = TypeScript,
        [".tsx"] = TypeScript,
        [".py"] = new("python", PythonDeclaration(), [.. HashComments, "@"]),
        [".go"] = new("go", GoDeclaration(), SlashComments),
        [".rs"] = new("rust", RustDeclaration(), [.. SlashComments, "#["]),
        [".c"] = C,
        [".h"] = C,
        [".cpp"] = Cpp,
        [".cc"] = Cpp,
        [".cxx"] = Cpp,
        [".hpp"] = Cpp,
        [".rb"] = new("ruby", RubyDeclaration(), HashComments),
        [".php"] = new("php", PhpDeclaration(), [.. SlashComments, "#"]),
        [".swift"] = new("swift", SwiftDeclaration(), [.. SlashComments, "@"]),
        [".sh"] = new("shell", ShellDeclaration(), HashComments),
        [".bash"] = new("shell", ShellDeclaration(), HashComments),
    };

    public IReadOnlyList<string> Extensions { get; } = [.. ByExtension.Keys];

    public IEnumerable<SourceDocument> Load(string path, string documentId, LoadProblems problems)
    {
        var bytes = File.ReadAllBytes(path);
        if (FileText.Decode(bytes, path, problems) is not { } text)
        {
            return [];
        }

        var language = ByExtension[Path.GetExtension(path)];
        var sections = new List<DocumentSection>();
        var open = new List<(int Indent, string Name)>();
        var sectionStart = 0;
        foreach (Match match in language.Declaration.Matches(text))
        {
            var start = AttachedStart(text, match.Index, language.Attached);
            if (start < sectionStart)
            {
                continue;
            }

            if (start > sectionStart)
            {
                sections.Add(new DocumentSection(sectionStart, start, [.. open.Select(d => d.Name)], null));
            }

            var indent = match.Groups["indent"].Length;
            open.RemoveAll(d => d.Indent >= indent);
            open.Add((indent, Regex.Replace(match.Groups["name"].Value.Trim(), @"\s+", " ")));
            sectionStart = start;
        }

        if (text.Length > sectionStart || sections.Count == 0)
        {
            sections.Add(new DocumentSection(sectionStart, text.Length, [.. open.Select(d => d.Name)], null));
        }

        return [FileText.Document(path, documentId, Path.GetFileName(path), text, bytes, language.Name, sections)];
    }

    /// <summary>Where a declaration's section starts: at the comment, decorator and attribute lines just above it.</summary>
    private static int AttachedStart(string text, int declaration, string[] attached)
    {
        var start = declaration;
        while (start > 1)
        {
            var above = text.LastIndexOf('\n', start - 2) + 1; // start - 1 is the line break ending the line above
            var line = text[above..(start - 1)].Trim();
            if (line.Length == 0 || !Array.Exists(attached, prefix => line.StartsWith(prefix, StringComparison.Ordinal)))
            {
                break;
            }

            start = above;
        }

        return start;
    }

    // Modifiers are required before a C#/Java method or constructor, so that statements such as "return Compute(x);"
    // or "Log(x);" are never taken for one.
    [GeneratedRegex(@"^(?<indent>[ \t]{0,8})(?:(?:public|private|protected|internal|static|abstract|sealed|partial|override|virtual|async|final|readonly|extern|unsafe|synchronized|default|file|required|new)\s+)*(?:class|interface|struct|record(?:\s+struct|\s+class)?|enum|@interface)\s+(?<name>\w+)|^(?<indent>[ \t]{0,8})(?:(?:public|private|protected|internal|static|abstract|sealed|partial|override|virtual|async|final|readonly|extern|unsafe|synchronized|default|file|required|new)\s+)+(?:[\w<>\[\],.?]+\s+){0,2}(?<name>\w+)\s*(?:<[^>(]*>)?\s*\(", RegexOptions.Multiline)]
    private static partial Regex CSharpDeclaration();

    [GeneratedRegex(@"^(?<indent>)(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:(?:async\s+)?function\*?\s*(?<name>\w+)|(?:abstract\s+)?class\s+(?<name>\w+)|interface\s+(?<name>\w+)|type\s+(?<name>\w+)\s*(?:<[^>]*>)?\s*=|enum\s+(?<name>\w+)|(?:const|let|var)\s+(?<name>\w+)\s*(?::[^=]+)?=\s*(?:async\s+)?(?:function\b|(?:\([^)]*\)|\w+)\s*(?::[^=]+)?=>))|^(?<indent>[ \t]{2,4})(?!(?:if|for|while|switch|catch|return|function|else|do|try|with)\b)(?:(?:public|private|protected|static|async|readonly|abstract|override|get|set)\s+)*(?<name>#?\w+)\s*(?:<[^>]*>)?\s*\([^)]*\)\s*(?::\s*[^{;]+)?\{\s*$", RegexOptions.Multiline)]
    private static partial Regex ScriptDeclaration();

    [GeneratedRegex(@"^(?<indent>[ \t]*)(?:async[ \t]+)?def[ \t]+(?<name>\w+)|^(?<indent>[ \t]*)class[ \t]+(?<name>\w+)", RegexOptions.Multiline)]
    private static partial Regex PythonDeclaration();

    [GeneratedRegex(@"^(?<indent>)func\s+(?:\([^)]*\)\s*)?(?<name>\w+)|^(?<indent>)type\s+(?<name>\w+)\s+(?:struct|interface)\b", RegexOptions.Multiline)]
    private static partial Regex GoDeclaration();

    [GeneratedRegex(@"^(?<indent>[ \t]{0,4})(?:pub(?:\([^)]*\))?\s+)?(?:(?:async|unsafe|const|extern(?:\s+""\w+"")?)\s+)*fn\s+(?<name>\w+)|^(?<indent>)(?:unsafe\s+)?(?<name>impl\b[^{;]*?)\s*(?:where\b|\{)|^(?<indent>)(?:pub(?:\([^)]*\))?\s+)?(?:struct|enum|trait|mod|union)\s+(?<name>\w+)", RegexOptions.Multiline)]
    private static partial Regex RustDeclaration();

    // A definition at column 0: a return type, the name, "(" and a line that is not a declaration ending in ";".
    [GeneratedRegex(@"^(?<indent>)(?!(?:if|for|while|switch|return|else|do|typedef|case|goto)\b)[A-Za-z_][\w \t\*&:<>,~]*?[\s\*&](?<name>[A-Za-z_~][\w:~]*)\s*\([^;]*$|^(?<indent>)(?:template\s*<[^>]*>\s*)?(?:struct|class|union|enum|namespace)\s+(?<name>\w+)[^;]*$", RegexOptions.Multiline)]
    private static partial Regex CDeclaration();

    [GeneratedRegex(@"^(?<indent>[ \t]{0,4})(?:def|class|module)\s+(?<name>[\w.:?!=]+)", RegexOptions.Multiline)]
    private static partial Regex RubyDeclaration();

    [GeneratedRegex(@"^(?<indent>[ \t]{0,4})(?:(?:public|private|protected|static|abstract|final|readonly)\s+)*(?:function\s+(?<name>\w+)|(?:class|interface|trait|enum)\s+(?<name>\w+))", RegexOptions.Multiline)]
    private static partial Regex PhpDeclaration();

    [GeneratedRegex(@"^(?<indent>[ \t]{0,4})(?:(?:public|private|internal|protected|open|override|suspend|inline|data|abstract|sealed|enum|annotation|companion|operator|infix|tailrec)\s+)*(?:fun\s+(?:<[^>]*>\s*)?(?:\w+\.)?(?<name>\w+)|(?:class|interface|object)\s+(?<name>\w+))", RegexOptions.Multiline)]
    private static partial Regex KotlinDeclaration();

    [GeneratedRegex(@"^(?<indent>[ \t]{0,4})(?:(?:public|private|internal|fileprivate|open|final|static|override|mutating|class)\s+)*(?:func\s+(?<name>\w+)|(?:class|struct|enum|protocol|extension|actor)\s+(?<name>\w+))", RegexOptions.Multiline)]
    private static partial Regex SwiftDeclaration();

    [GeneratedRegex(@"^(?<indent>)(?:function\s+(?<name>[\w.:-]+)(?:\s*\(\))?|(?<name>[\w.:-]+)\s*\(\))\s*\{?\s*$", RegexOptions.Multiline)]
    private static partial Regex ShellDeclaration();
}
