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
/// </summary>
internal static class EvalGuardrailsCommand
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "JSONL lines {id, text, label: injection|benign, category}", Required = true };
        var predictions = new Option<string?>("--predictions") { Description = "Write one JSON line per item: {id, flagged, score, detector} (the combined detectors)" };
        var detectors = new Option<string[]>("--detectors") { Description = $"Detectors to run: {string.Join(", ", InjectionDetectors.Names)} (default: all)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("guardrails", "Measure the prompt-injection detectors on a labelled set: detection and false-positive rates per category") { dataset, predictions, detectors };
        command.SetAction(result =>
        {
            var items = GuardrailDataset.Read(result.GetValue(dataset)!);
            var (reports, predicted) = GuardrailEvaluation.Evaluate(items, InjectionDetectors.Create(result.GetValue(detectors)));
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
                        detectionRate = r.DetectionRate,
                        falsePositiveRate = r.FalsePositiveRate,
                        balancedAccuracy = r.BalancedAccuracy,
                        categories = r.Categories.Select(c => new { category = c.Category, label = c.Injection ? "injection" : "benign", flagged = c.Flagged }),
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

    private static string Rate(Proportion proportion) => double.IsNaN(proportion.Rate)
        ? "(no items)"
        : string.Create(CultureInfo.InvariantCulture, $"{proportion.Rate:0.000} ({proportion.Low:0.000}..{proportion.High:0.000}, {proportion.Successes}/{proportion.Trials})");
}
