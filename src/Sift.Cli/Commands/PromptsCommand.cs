using System.CommandLine;
using Sift.Cli.Output;
using Sift.Generation.Prompts;
using Sift.Index.Storage;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary><c>sift prompts list|show|diff</c>: the prompt templates answers are generated with, and their versions.</summary>
internal static class PromptsCommand
{
    /// <summary>User templates live in STORE/prompts/*.prompt and override the built-in ones with the same id.</summary>
    public static string UserFolder(ParseResult result) => Path.Combine(CommonOptions.HomeFolder(result), "prompts");

    public static Command Create()
    {
        var list = new Command("list", "List prompt templates with their versions");
        list.SetAction(result =>
        {
            var templates = PromptLibrary.Load(UserFolder(result));
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(templates.Select(t => new { t.Id, t.Version, t.Description }));
                return 0;
            }

            foreach (var template in templates)
            {
                AnsiConsole.MarkupLineInterpolated($"[bold]{template.Version}[/]  {template.Description}");
            }

            return 0;
        });

        var showId = new Argument<string>("id");
        var show = new Command("show", "Print a template") { showId };
        show.SetAction(result =>
        {
            var template = PromptLibrary.Get(result.GetValue(showId)!, UserFolder(result));
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(template);
                return 0;
            }

            Console.Out.WriteLine($"# {template.Version}\n### system\n{template.System}\n### user\n{template.User}");
            return 0;
        });

        var left = new Argument<string>("a");
        var right = new Argument<string>("b");
        var diff = new Command("diff", "Show the lines that differ between two templates") { left, right };
        diff.SetAction(result =>
        {
            var a = Lines(PromptLibrary.Get(result.GetValue(left)!, UserFolder(result)));
            var b = Lines(PromptLibrary.Get(result.GetValue(right)!, UserFolder(result)));
            foreach (var line in a.Except(b))
            {
                Console.Out.WriteLine($"- {line}");
            }

            foreach (var line in b.Except(a))
            {
                Console.Out.WriteLine($"+ {line}");
            }

            return 0;
        });

        return new Command("prompts", "Prompt templates and their versions") { list, show, diff };
    }

    private static List<string> Lines(PromptTemplate template) =>
        [.. $"### system\n{template.System}\n### user\n{template.User}".Split('\n')];
}
