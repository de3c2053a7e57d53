using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sift.Cli.Output;
using Sift.Composition;
using Sift.Core;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Monitoring;
using Sift.Evaluation.Reports;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift monitor report -c NAME</c>: drift between a reference window of queries and a current one, per feature
/// (PSI and KS), from two query files or from the query log's recent windows; HTML with charts, or JSON.
/// </summary>
internal static class MonitorCommand
{
    public static Command Create()
    {
        var collection = CommonOptions.Collection(description: "Collection (name, name@alias or name@VERSION)");
        var reference = new Option<string?>("--reference") { Description = "Reference queries: a .jsonl file (a \"text\" field per line, as BEIR queries.jsonl), a text file (a query per line) or a BEIR folder" };
        var current = new Option<string?>("--current") { Description = "Current queries, in the same forms as --reference" };
        var referenceSplit = new Option<string>("--reference-split") { Description = "For a BEIR folder: the qrels split whose queries are the reference", DefaultValueFactory = _ => "train" };
        var currentSplit = new Option<string>("--current-split") { Description = "For a BEIR folder: the qrels split whose queries are current", DefaultValueFactory = _ => "test" };
        var window = new Option<string?>("--window") { Description = "Instead of files: the query log's last WINDOW (e.g. 24h, 7d) against the --reference-window before it" };
        var referenceWindow = new Option<string?>("--reference-window") { Description = "How far back before --window the reference reaches (default 7 times --window)" };
        var psi = new Option<double>("--psi") { Description = "PSI at or above which a feature counts as drifted", DefaultValueFactory = _ => new DriftThresholds().Psi };
        var pValue = new Option<double>("--p-value") { Description = "The test p-value (KS for numeric features, chi-square for categorical ones) below which a feature's PSI counts", DefaultValueFactory = _ => new DriftThresholds().PValue };
        var output = CommonOptions.Out("Write the report as HTML (a .html path) or JSON (any other path)");
        var failOnAlert = new Option<bool>("--fail-on-alert") { Description = "Exit 3 when a feature drifted (for scheduled checks)" };
        var report = new Command("report", "Compare a reference window of queries with a current one: query features and retrieval outcomes, PSI and KS per feature")
        {
            collection, reference, current, referenceSplit, currentSplit, window, referenceWindow, psi, pValue, output, failOnAlert,
        };
        report.Validators.Add(parsed =>
        {
            var files = parsed.GetValue(reference) is not null || parsed.GetValue(current) is not null;
            if (files == (parsed.GetValue(window) is not null) || (files && (parsed.GetValue(reference) is null || parsed.GetValue(current) is null)))
            {
                parsed.AddError("give either --reference and --current (query files), or --window (the query log)");
            }
        });
        report.SetAction(async (result, cancellation) =>
        {
            using var reading = CommonOptions.OpenForReading(result, result.GetValue(collection)!);
            var target = reading.Target;
            SiftStores.BindEmbedder(target);
            var thresholds = new DriftThresholds(result.GetValue(psi), result.GetValue(pValue));
            DriftReport drift;
            string source;
            if (result.GetValue(window) is { } span)
            {
                var last = Durations.Parse(span, "--window");
                var before = result.GetValue(referenceWindow) is { } text ? Durations.Parse(text, "--reference-window") : last * 7;
                using var log = SiftStores.OpenQueryLog(Core.Storage.StoreLocation.Resolve(result.GetValue(CommonOptions.Store)), CommonOptions.HomeFolder(result));
                drift = await DriftMonitor.FromLogAsync(target, log, DateTimeOffset.UtcNow, last, before, CommonOptions.Analyzer, thresholds, cancellation);
                source = $"query log: the last {span} against the {before.TotalHours:0.#} hours before";
            }
            else
            {
                var referenceQueries = ReadQueries(result.GetValue(reference)!, result.GetValue(referenceSplit)!);
                var currentQueries = ReadQueries(result.GetValue(current)!, result.GetValue(currentSplit)!);
                var (referenceSamples, currentSamples) = await QueryProfiles.RunAsync(target, referenceQueries, currentQueries, CommonOptions.Analyzer, cancellation);
                drift = DriftReport.Compare(referenceSamples, currentSamples, thresholds);
                source = $"reference {result.GetValue(reference)}, current {result.GetValue(current)}";
            }

            var version = reading.Version is { } v ? $"version {v.Id}" : "working state";
            if (result.GetValue(output) is { } path)
            {
                if (path.EndsWith(".html", StringComparison.OrdinalIgnoreCase))
                {
                    File.WriteAllText(path, DriftHtml.Render($"Drift: {target.Name}", drift, [new("collection", $"{target.Name} ({version})"), new("queries", source), new("made", DateTimeOffset.UtcNow.ToString("O"))]));
                }
                else
                {
                    JsonOutput.WriteFile(path, drift);
                }

                Console.Error.WriteLine($"wrote {path}");
            }

            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(new { collection = target.Name, version = reading.Version?.Id, source, drift, alert = drift.Alert });
            }
            else
            {
                Render(target.Name, drift);
            }

            return drift.Alert && result.GetValue(failOnAlert) ? EvalCommand.RegressionExitCode : 0;
        });
        return new Command("monitor", "Watch a collection's traffic for drift") { report };
    }

    private static void Render(string collection, DriftReport drift)
    {
        if (drift.Note is { } note)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]{note}[/]");
            return;
        }

        var table = new Table().Title($"{collection}: {drift.ReferenceCount} reference vs {drift.CurrentCount} current queries").AddColumns("feature", "PSI", "test", "statistic", "p", "drifted");
        foreach (var feature in drift.Features)
        {
            table.AddRow(
                feature.Name, feature.Psi.ToString("0.0000", CultureInfo.InvariantCulture), feature.Test, feature.Statistic.ToString("0.0000", CultureInfo.InvariantCulture),
                feature.PValue.ToString("0.####", CultureInfo.InvariantCulture), feature.Drifted ? "[red]yes[/]" : "no");
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(drift.Alert ? $"[red]drift alert[/]: {Markup.Escape(string.Join(", ", drift.Drifted))}" : "[green]no drift past the thresholds[/]");
    }

    /// <summary>Queries from a BEIR folder (the split's judged queries), a .jsonl file ("text" per line) or a text file (a query per line).</summary>
    private static List<string> ReadQueries(string path, string split)
    {
        if (Directory.Exists(path))
        {
            return [.. BeirDataset.LoadJudgedQueries(path, split).Queries.OrderBy(q => q.Key, StringComparer.Ordinal).Select(q => q.Value)];
        }

        if (!File.Exists(path))
        {
            throw new SiftException($"query file not found: {path}");
        }

        var lines = File.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l));
        if (!path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            return [.. lines.Select(l => l.Trim())];
        }

        return [.. lines.Select((line, index) =>
        {
            try
            {
                using var json = JsonDocument.Parse(line);
                return json.RootElement.TryGetProperty("text", out var text) && text.GetString() is { Length: > 0 } value
                    ? value
                    : throw new SiftException($"{path}:{index + 1}: no \"text\" field");
            }
            catch (JsonException ex)
            {
                throw new SiftException($"{path}:{index + 1}: not JSON ({ex.Message})", ex);
            }
        })];
    }
}
