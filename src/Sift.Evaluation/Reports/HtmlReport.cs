using System.Globalization;
using System.Net;
using System.Text;

namespace Sift.Evaluation.Reports;

/// <summary>
/// A report as one self-contained HTML file (inline CSS and SVG, no scripts, nothing fetched): per-metric bars with
/// confidence intervals, the headline metric per slice, per-metric score distributions, and the worst cases with the
/// chunks they retrieved.
/// </summary>
public static class HtmlReport
{
    private const int BarWidth = 420;
    private const int LabelWidth = 210;

    public static string Render(ReportView report)
    {
        var html = new StringBuilder();
        html.Append(Head(report.Title));
        html.Append("<h2>Metrics</h2>");
        html.Append(Bars(report.Metrics, "metrics"));
        if (report.NotComputed.Count > 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">Not computed (need an LLM judge): {E(string.Join(", ", report.NotComputed))}.</p>");
        }

        if (report.Slices.Count > 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<h2>Slices: {E(report.Headline)}</h2>");
            var headline = report.Slices
                .Select(s => (Slice: s, Metric: s.Metrics.FirstOrDefault(m => m.Name == report.Headline)))
                .Where(s => s.Metric is not null)
                .Select(s => s.Metric! with { Name = $"{s.Slice.Name} (n={s.Slice.Count})" })
                .ToList();
            html.Append(Bars(headline, "slices"));
        }

        html.Append("<h2>Score distributions</h2><div class=\"grid\">");
        foreach (var metric in report.Metrics)
        {
            html.Append(Histogram(metric.Name, [.. report.PerQuery.Where(q => q.Metrics.ContainsKey(metric.Name)).Select(q => q.Metrics[metric.Name])]));
        }

        html.Append("</div>");
        if (report.Judge.Count > 0)
        {
            html.Append("<h2>Judge</h2>").Append(Pairs(report.Judge));
        }

        if (report.WorstCases.Count > 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<h2>The {report.WorstCases.Count} worst cases by {E(report.Headline)}</h2>");
            foreach (var (item, index) in report.WorstCases.Select((c, i) => (c, i)))
            {
                // The first few open, so the worst cases are visible without clicking (and in a printout).
                var score = item.Metrics.TryGetValue(report.Headline, out var value) ? value.ToString("0.000", CultureInfo.InvariantCulture) : "n/a";
                html.Append(CultureInfo.InvariantCulture, $"<details class=\"case\"{(index < 3 ? " open" : "")}><summary><b>{E(item.Id)}</b> {E(item.Text ?? "")} <span class=\"muted\">{E(report.Headline)} {score}</span></summary>");
                html.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">{E(string.Join(", ", item.Metrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key} {m.Value:0.000}"))))}</p>");
                if (item.Answer is { } answer)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<blockquote>{E(answer)}</blockquote>");
                }

                foreach (var (chunk, rank) in item.Retrieved.Select((c, i) => (c, i + 1)))
                {
                    var relevant = chunk.Relevant == true ? " <span class=\"relevant\">relevant</span>" : "";
                    html.Append(CultureInfo.InvariantCulture, $"<div class=\"chunk\">{rank}. <code>{E(chunk.DocumentId)}</code> <span class=\"muted\">score {chunk.Score:0.###}</span>{relevant}<br>{E(chunk.Text ?? "")}</div>");
                }

                html.Append("</details>");
            }
        }

        html.Append("<h2>Provenance</h2>").Append(Pairs(report.Provenance));
        html.Append("</body></html>\n");
        return html.ToString();
    }

    /// <summary>The page head every Sift report shares (inline CSS, no scripts), and its title.</summary>
    internal static string Head(string title) =>
        string.Create(CultureInfo.InvariantCulture, $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>{{E(title)}}</title>
            <style>
            body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #1d232a; padding: 0 1rem; }
            h1 { font-size: 1.6rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #d8dee4; }
            table { border-collapse: collapse; } td, th { padding: 3px 10px; border-bottom: 1px solid #eef1f4; text-align: left; }
            .num { text-align: right; font-variant-numeric: tabular-nums; } .muted { color: #6a737d; }
            .bar { fill: #3b82c4; } .ci { stroke: #1d232a; stroke-width: 1.5; } .hist { fill: #7aa6d6; }
            .grid { display: flex; flex-wrap: wrap; gap: 1rem; } details { margin: .5rem 0; } summary { cursor: pointer; }
            .chunk { margin: .3rem 0 .3rem 1rem; } .relevant { color: #1a7f37; font-weight: 600; }
            .reference { fill: #9aa5b1; } .current { fill: #3b82c4; } .alert { color: #b42318; font-weight: 600; } .ok { color: #1a7f37; }
            </style></head><body>
            <h1>{{E(title)}}</h1>
            """);

    /// <summary>Horizontal bars for means, with whiskers for the 95% interval; the scale is 0..1 unless a value exceeds 1.</summary>
    private static string Bars(IReadOnlyList<MetricInterval> metrics, string id)
    {
        const int row = 26;
        var scale = Math.Max(1, metrics.Select(m => m.High).DefaultIfEmpty(1).Max());
        double X(double value) => LabelWidth + (Math.Clamp(value, 0, scale) / scale * BarWidth);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg id=\"{id}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{LabelWidth + BarWidth + 200}\" height=\"{(metrics.Count * row) + 24}\" role=\"img\">");
        for (var i = 0; i < metrics.Count; i++)
        {
            var m = metrics[i];
            var y = i * row;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{LabelWidth - 8}\" y=\"{y + 17}\" text-anchor=\"end\">{E(m.Name)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar\" x=\"{LabelWidth}\" y=\"{y + 5}\" width=\"{X(m.Mean) - LabelWidth:0.#}\" height=\"16\"><title>{E(m.Name)} {m.Mean:0.0000} (95% CI {m.Low:0.0000}..{m.High:0.0000})</title></rect>");
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"ci\" x1=\"{X(m.Low):0.#}\" x2=\"{X(m.High):0.#}\" y1=\"{y + 13}\" y2=\"{y + 13}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"ci\" x1=\"{X(m.Low):0.#}\" x2=\"{X(m.Low):0.#}\" y1=\"{y + 8}\" y2=\"{y + 18}\"/><line class=\"ci\" x1=\"{X(m.High):0.#}\" x2=\"{X(m.High):0.#}\" y1=\"{y + 8}\" y2=\"{y + 18}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{LabelWidth + BarWidth + 8}\" y=\"{y + 17}\">{m.Mean:0.000} [{m.Low:0.000}, {m.High:0.000}]</text>");
        }

        var axisY = metrics.Count * row;
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{LabelWidth}\" x2=\"{LabelWidth + BarWidth}\" y1=\"{axisY + 2}\" y2=\"{axisY + 2}\" stroke=\"#999\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{LabelWidth}\" y=\"{axisY + 18}\" class=\"muted\">0</text><text x=\"{LabelWidth + BarWidth}\" y=\"{axisY + 18}\" text-anchor=\"end\">{scale:0.##}</text>");
        return svg.Append("</svg>").ToString();
    }

    /// <summary>Ten equal bins from 0 to max(1, largest value).</summary>
    private static string Histogram(string name, IReadOnlyList<double> values)
    {
        const int width = 240, height = 110, bins = 10;
        var top = Math.Max(1, values.DefaultIfEmpty(0).Max());
        var counts = new int[bins];
        foreach (var value in values)
        {
            counts[Math.Clamp((int)(value / top * bins), 0, bins - 1)]++;
        }

        var tallest = Math.Max(1, counts.Max());
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<figure><svg class=\"histogram\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height + 16}\" role=\"img\">");
        for (var b = 0; b < bins; b++)
        {
            var h = (double)counts[b] / tallest * height;
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"hist\" x=\"{b * (width / bins) + 1}\" y=\"{height - h:0.#}\" width=\"{(width / bins) - 2}\" height=\"{h:0.#}\"><title>{b * top / bins:0.##}..{(b + 1) * top / bins:0.##}: {counts[b]}</title></rect>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{height + 14}\">0</text><text x=\"{width}\" y=\"{height + 14}\" text-anchor=\"end\">{top:0.##}</text></svg>");
        return svg.Append(CultureInfo.InvariantCulture, $"<figcaption>{E(name)} <span class=\"muted\">(n={values.Count})</span></figcaption></figure>").ToString();
    }

    internal static string Pairs(IReadOnlyList<KeyValuePair<string, string>> pairs) =>
        "<table>" + string.Concat(pairs.Select(p => $"<tr><th>{E(p.Key)}</th><td>{E(p.Value)}</td></tr>")) + "</table>";

    internal static string E(string text) => WebUtility.HtmlEncode(text);
}
