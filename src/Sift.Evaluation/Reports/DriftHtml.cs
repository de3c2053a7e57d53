using System.Globalization;
using System.Text;
using Sift.Evaluation.Monitoring;

namespace Sift.Evaluation.Reports;

/// <summary>A drift report as one self-contained HTML page in the evaluation report's style: a verdict per feature, and each feature's reference and current shares side by side.</summary>
public static class DriftHtml
{
    public static string Render(string title, DriftReport report, IReadOnlyList<KeyValuePair<string, string>> provenance)
    {
        var html = new StringBuilder(HtmlReport.Head(title));
        var verdict = report.Note is { } note
            ? $"<p class=\"muted\">{HtmlReport.E(note)}</p>"
            : report.Alert
                ? $"<p class=\"alert\">Drift: {HtmlReport.E(string.Join(", ", report.Drifted))}</p>"
                : "<p class=\"ok\">No feature drifted past its threshold.</p>";
        html.Append(verdict);
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">{report.ReferenceCount} reference and {report.CurrentCount} current queries; a feature drifts at PSI &ge; {report.Thresholds.Psi:0.##} and a test p-value below {report.Thresholds.PValue:0.###} (Kolmogorov-Smirnov for numeric features, chi-square for categorical ones).</p>");
        html.Append("<h2>Features</h2><table><tr><th>feature</th><th class=\"num\">PSI</th><th>test</th><th class=\"num\">statistic</th><th class=\"num\">p</th><th class=\"num\">reference mean</th><th class=\"num\">current mean</th><th></th></tr>");
        foreach (var feature in report.Features)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{HtmlReport.E(feature.Name)}</td><td class=\"num\">{feature.Psi:0.0000}</td><td>{feature.Test}</td><td class=\"num\">{Number(feature.Statistic)}</td><td class=\"num\">{Number(feature.PValue)}</td><td class=\"num\">{Number(feature.ReferenceMean)}</td><td class=\"num\">{Number(feature.CurrentMean)}</td><td>{(feature.Drifted ? "<span class=\"alert\">drifted</span>" : "")}</td></tr>");
        }

        html.Append("</table><h2>Distributions</h2><p class=\"muted\">Share of queries per bin: reference grey, current blue.</p><div class=\"grid\">");
        foreach (var feature in report.Features)
        {
            html.Append(Shares(feature));
        }

        html.Append("</div><h2>Provenance</h2>").Append(HtmlReport.Pairs(provenance)).Append("</body></html>\n");
        return html.ToString();
    }

    private static string Number(double? value) =>
        value is { } v ? v.ToString("0.####", CultureInfo.InvariantCulture) : "";

    private static string Shares(FeatureDrift feature)
    {
        const int width = 320, height = 110;
        double referenceTotal = Math.Max(1, feature.Reference.Sum()), currentTotal = Math.Max(1, feature.Current.Sum());
        var bins = feature.Bins.Count;
        var tallest = Math.Max(
            feature.Reference.Select(c => c / referenceTotal).DefaultIfEmpty(0).Max(),
            feature.Current.Select(c => c / currentTotal).DefaultIfEmpty(0).Max());
        var slot = width / (double)Math.Max(1, bins);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height + 4}\" role=\"img\">");
        for (var b = 0; b < bins; b++)
        {
            foreach (var (share, x, kind) in new[] { (feature.Reference[b] / referenceTotal, b * slot, "reference"), (feature.Current[b] / currentTotal, (b * slot) + (slot / 2), "current") })
            {
                var h = tallest <= 0 ? 0 : share / tallest * height;
                svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"{kind}\" x=\"{x:0.#}\" y=\"{height - h:0.#}\" width=\"{Math.Max(1, (slot / 2) - 1):0.#}\" height=\"{h:0.#}\"><title>{HtmlReport.E(feature.Bins[b])} ({kind}): {share:P1}</title></rect>");
            }
        }

        svg.Append("</svg>");
        return svg.Append(CultureInfo.InvariantCulture, $"<figcaption>{HtmlReport.E(feature.Name)} <span class=\"muted\">PSI {feature.Psi:0.000}</span></figcaption></figure>").ToString();
    }
}
