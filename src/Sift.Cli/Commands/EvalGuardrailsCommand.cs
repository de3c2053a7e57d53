using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sift.Cli.Output;
using Sift.Composition;
using Sift.Evaluation.Guardrails;
using Sift.Evaluation.Statistics;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift eval guardrails --dataset FILE [--predictions OUT]</c>: the prompt-injection detectors on a labelled set,
/// each text inspected as a document chunk would be: per category the share flagged with its 95% CI, then each
/// detector's and the combination's detection rate, false-positive rate and balanced accuracy.
/// <c>sift eval pii --dataset FILE [--predictions OUT]</c>: the personal-data detector's precision and recall per type.
/// </summary>
internal static class EvalGuardrailsCommand
{
    public static Command Pii()
    {
        var dataset = new Option<string>("--dataset") { Description = "JSONL lines {id, text, pii: [{type, value}], category}", Required = true };
        var predictions = new Option<string?>("--predictions") { Description = "Write one JSON line per item: {id, pii: [{type, value}]} as found" };
        var command = new Command("pii", "Measure the personal-data detector on a labelled set: precision and recall per type") { dataset, predictions };
        command.SetAction(result =>
        {
            var items = PiiDataset.Read(result.GetValue(dataset)!);
            var (reports, predicted) = PiiEvaluation.Evaluate(items, GuardrailDetectors.Pii);
            var unknown = PiiEvaluation.UnknownTypes(items, GuardrailDetectors.Pii);
            if (unknown.Count > 0)
            {
                Console.Error.WriteLine($"warning: the detector reports no type {string.Join(", ", unknown.Select(t => $"'{t}'"))} (it knows {string.Join(", ", GuardrailDetectors.Pii.Types.Keys)}): those labels count as missed");
            }

            if (result.GetValue(predictions) is { } path)
            {
                File.WriteAllLines(path, predicted.Select(p => JsonSerializer.Serialize(new { id = p.Id, pii = p.Found.Select(e => new { type = e.Type, value = e.Value }) })));
            }

            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(new
                {
                    items = items.Count,
                    unknownTypes = unknown,
                    types = reports.Select(r => new { type = r.Type, checksummed = r.Checksummed, precision = Json(r.Precision), recall = Json(r.Recall), falsePositives = r.FalsePositives }),
                });
                return 0;
            }

            var table = new Table().Title($"personal data in {items.Count:N0} texts (95% CI)").AddColumns("type", "checked", "precision", "recall", "false positives");
            foreach (var report in reports)
            {
                table.AddRow(
                    Markup.Escape(report.Type), report.Checksummed ? "checksum" : "", Rate(report.Precision), Rate(report.Recall), report.FalsePositives.ToString(CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    public static Command Injection()
    {
        var dataset = new Option<string>("--dataset") { Description = "JSONL lines {id, text, label: injection|benign, category}", Required = true };
        var predictions = new Option<string?>("--predictions") { Description = "Write one JSON line per item: {id, flagged, score, detector} (the combined detectors)" };
        var detectors = new Option<string[]>("--detectors") { Description = $"Detectors to run: {string.Join(", ", GuardrailDetectors.InjectionNames)} (default: all)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("guardrails", "Measure the prompt-injection detectors on a labelled set: detection and false-positive rates per category") { dataset, predictions, detectors };
        command.SetAction(result =>
        {
            var items = GuardrailDataset.Read(result.GetValue(dataset)!);
            var (reports, predicted) = GuardrailEvaluation.Evaluate(items, GuardrailDetectors.Injection(result.GetValue(detectors)));
            if (result.GetValue(predictions) is { } path)
            {
                File.WriteAllLines(path, predicted.Select(p => JsonSerializer.Serialize(new { id = p.Id, flagged = p.Flagged, score = p.Score, detector = p.Detector })));
            }

            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(new
                {
                    items = items.Count,
                    detectors = reports.Select(r => new
                    {
                        detector = r.Detector,
                        detectionRate = Json(r.DetectionRate),
                        falsePositiveRate = Json(r.FalsePositiveRate),
                        balancedAccuracy = r.BalancedAccuracy,
                        categories = r.Categories.Select(c => new { category = c.Category, label = c.Injection ? "injection" : "benign", flagged = Json(c.Flagged) }),
                    }),
                });
                return 0;
            }

            foreach (var report in reports)
            {
                var table = new Table().Title($"{report.Detector}: share flagged per category (95% CI)").AddColumns("category", "label", "items", "flagged");
                foreach (var category in report.Categories)
                {
                    table.AddRow(Markup.Escape(category.Category), category.Injection ? "injection" : "benign", category.Flagged.Trials.ToString(CultureInfo.InvariantCulture), Rate(category.Flagged));
                }

                AnsiConsole.Write(table);
                AnsiConsole.MarkupLine(Markup.Escape(
                    $"{report.Detector}: detection rate {Rate(report.DetectionRate)}, false-positive rate {Rate(report.FalsePositiveRate)}, balanced accuracy {report.BalancedAccuracy.ToString("0.000", CultureInfo.InvariantCulture)}"));
            }

            return 0;
        });
        return command;
    }

    /// <summary>A proportion for JSON: its counts, with the rate and interval only when there were trials (NaN is no JSON number).</summary>
    private static object Json(Proportion proportion) => proportion.Trials == 0
        ? new { successes = 0, trials = 0, rate = (double?)null, low = (double?)null, high = (double?)null }
        : proportion;

    private static string Rate(Proportion proportion) => double.IsNaN(proportion.Rate)
        ? "(no items)"
        : string.Create(CultureInfo.InvariantCulture, $"{proportion.Rate:0.000} ({proportion.Low:0.000}..{proportion.High:0.000}, {proportion.Successes}/{proportion.Trials})");
}
