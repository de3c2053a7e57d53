using System.CommandLine;
using System.Text.Json;
using Sift.Cli.Output;
using Sift.Evaluation.Reports;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>--html FILE</c> and <c>--md FILE</c>: the report rendered for people. Both are rendered from the JSON report
/// (the contract), the same way <c>sift eval report</c> renders a saved one.
/// </summary>
internal sealed class ReportOptions
{
    /// <summary>Worst cases a report carries (one number for every report).</summary>
    public const int WorstCases = Evaluation.Answers.AnswerReport.WorstCaseCount;

    private readonly Option<string?> _html = new("--html") { Description = "Write the report as one self-contained HTML file (charts, slices, worst cases)" };
    private readonly Option<string?> _markdown = new("--md") { Description = "Write the report as Markdown (for pull requests and CI summaries)" };

    public void AddTo(Command command)
    {
        command.Options.Add(_html);
        command.Options.Add(_markdown);
    }

    public void Write(ParseResult result, object report)
    {
        if (result.GetValue(_html) is null && result.GetValue(_markdown) is null)
        {
            return;
        }

        var view = ReportView.From(JsonSerializer.SerializeToElement(report, JsonOutput.Options));
        Write(result, view);
    }

    public void Write(ParseResult result, ReportView view)
    {
        if (result.GetValue(_html) is { } html)
        {
            WriteText(html, HtmlReport.Render(view));
        }

        if (result.GetValue(_markdown) is { } markdown)
        {
            WriteText(markdown, MarkdownReport.Render(view));
        }
    }

    /// <summary><c>sift eval report RUN.json --html FILE --md FILE</c>: render a saved report.</summary>
    public static Command Command()
    {
        var run = new Argument<string>("report") { Description = "A JSON report written by sift eval retrieval|answers --out" };
        var options = new ReportOptions();
        var command = new Command("report", "Render a saved evaluation report as HTML and/or Markdown") { run };
        options.AddTo(command);
        command.SetAction(result =>
        {
            if (result.GetValue(options._html) is null && result.GetValue(options._markdown) is null)
            {
                throw new Core.SiftException("say what to write: --html FILE and/or --md FILE");
            }

            options.Write(result, ReportView.Read(result.GetValue(run)!));
            return 0;
        });
        return command;
    }

    private static void WriteText(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, text);
    }
}
