using System.Globalization;
using System.Text;

namespace Sift.Evaluation.Reports;

/// <summary>A report as Markdown, for pull-request comments and CI summaries.</summary>
public static class MarkdownReport
{
    public static string Render(ReportView report)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# {report.Title}").AppendLine();
        md.AppendLine("| metric | mean | 95% CI |").AppendLine("|---|---:|---|");
        foreach (var metric in report.Metrics)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {metric.Name} | {metric.Mean:0.0000} | {metric.Low:0.0000}..{metric.High:0.0000} |");
        }

        if (report.NotComputed.Count > 0)
        {
            md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Not computed (need an LLM judge): {string.Join(", ", report.NotComputed)}.");
        }

        if (report.Slices.Count > 0)
        {
            md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"## Slices ({report.Headline})").AppendLine();
            md.AppendLine("| slice | queries | mean | 95% CI |").AppendLine("|---|---:|---:|---|");
            foreach (var slice in report.Slices)
            {
                var metric = slice.Metrics.FirstOrDefault(m => m.Name == report.Headline);
                md.AppendLine(metric is null
                    ? string.Create(CultureInfo.InvariantCulture, $"| {Cell(slice.Name)} | {slice.Count} | n/a | |")
                    : string.Create(CultureInfo.InvariantCulture, $"| {Cell(slice.Name)} | {slice.Count} | {metric.Mean:0.0000} | {metric.Low:0.0000}..{metric.High:0.0000} |"));
            }
        }

        if (report.Judge.Count > 0)
        {
            md.AppendLine().AppendLine("## Judge").AppendLine();
            foreach (var (key, value) in report.Judge)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {key}: {value}");
            }
        }

        if (report.WorstCases.Count > 0)
        {
            md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"## The {report.WorstCases.Count} worst cases by {report.Headline}").AppendLine();
            foreach (var item in report.WorstCases)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"### {item.Id}: {item.Text}").AppendLine();
                md.AppendLine(string.Join(", ", item.Metrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key} {m.Value:0.000}"))));
                if (item.Answer is { } answer)
                {
                    md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"> {answer.ReplaceLineEndings(" ")}");
                }

                md.AppendLine();
                foreach (var (chunk, i) in item.Retrieved.Select((c, i) => (c, i + 1)))
                {
                    var mark = chunk.Relevant switch { true => " (relevant)", false => "", null => "" };
                    md.AppendLine(CultureInfo.InvariantCulture, $"{i}. `{chunk.DocumentId}` score {chunk.Score:0.###}{mark}: {Clip(chunk.Text)}");
                }

                md.AppendLine();
            }
        }

        md.AppendLine().AppendLine("## Provenance").AppendLine();
        foreach (var (key, value) in report.Provenance)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {key}: {value}");
        }

        return md.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    private static string Clip(string? text) =>
        text is null ? "" : (text.Length > 240 ? text[..240] + "..." : text).ReplaceLineEndings(" ");
}
