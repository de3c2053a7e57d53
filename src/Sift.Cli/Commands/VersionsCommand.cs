using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sift.Cli.Output;
using Sift.Composition;
using Sift.Core;
using Sift.Core.Storage;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Reports;
using Sift.Evaluation.Statistics;
using Sift.Generation.Prompts;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift versions list|show|diff|tag|promote|rollback|gc</c>: a collection's immutable versions and the aliases that
/// point at them. Every ingest, delete and settings change makes a version; readers read the one <c>prod</c> names.
/// </summary>
internal static class VersionsCommand
{
    public static Option<string?> ToOption() => new("--to")
    {
        Description = "The alias to move to the version this change makes (default: the collection's ingest-to setting, else prod); e.g. candidate, to promote later through a gate",
    };

    /// <summary>
    /// Seals the change just written as a version and moves the alias to it (the one given, else the collection's
    /// ingest-to setting, else prod); null where the store keeps no versions.
    /// </summary>
    public static RecordedVersion? Record(ParseResult result, IChunkStore collection, string change, string note, string? to)
    {
        var prompts = PromptLibrary.Load(PromptsCommand.UserFolder(result)).Select(p => p.Version).Order(StringComparer.Ordinal).ToList();
        return CollectionVersions.Record(collection, new VersionChange(change, CollectionVersions.LocalUser, note, prompts), to);
    }

    /// <summary>
    /// Keeps an evaluation report with the version it evaluated, where the console's Evaluations page lists it (and
    /// <c>versions show</c> counts it). Nothing for a collection without versions.
    /// </summary>
    public static void AttachReport(IChunkStore collection, long? version, string kind, object report)
    {
        if (version is { } id && collection.Versions is { } catalog)
        {
            catalog.AttachReport(id, kind, ReportJson.Serialize(report));
        }
    }

    /// <summary>"version 6 (candidate -> 6; prod stays at 5)", or "no change: still version 5", for a change's summary line.</summary>
    public static string Made(RecordedVersion? recorded)
    {
        if (recorded is not { } made)
        {
            return "";
        }

        if (!made.Created)
        {
            return $"; no change, so no new version (newest: {made.Version.Id})";
        }

        var others = made.Aliases.Where(a => a.Key != made.Alias).Select(a => $"{a.Key} stays at {a.Value}");
        return $"; version {made.Version.Id} ({string.Join("; ", others.Prepend($"{made.Alias} -> {made.Version.Id}"))})";
    }

    public static Command Create()
    {
        return new Command("versions", "A collection's versions and aliases: list, show, diff, tag, promote (through a gate), rollback, gc")
        {
            List(), Show(), Diff(), Tag(), Promote(), Rollback(), Collect(),
        };
    }

    private static Command List()
    {
        var collection = CommonOptions.Collection();
        var command = new Command("list", "List versions, oldest first, with the aliases that point at them") { collection };
        command.SetAction(result =>
        {
            using var opened = Open(result, collection, out var catalog);
            var aliases = catalog.Aliases();
            var versions = catalog.List();
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(new { collection = opened.Name, aliases, versions });
                return 0;
            }

            var table = new Table().AddColumns("version", "parent", "change", "by", "when", "documents", "chunks", "aliases");
            foreach (var version in versions)
            {
                table.AddRow(
                    version.Id.ToString(CultureInfo.InvariantCulture), version.Parent?.ToString(CultureInfo.InvariantCulture) ?? "-", Markup.Escape(version.Change),
                    Markup.Escape(version.CreatedBy), Markup.Escape(version.CreatedAt), version.Documents.ToString(CultureInfo.InvariantCulture),
                    version.Chunks.ToString(CultureInfo.InvariantCulture), Markup.Escape(string.Join(", ", aliases.Where(a => a.Value == version.Id).Select(a => a.Key))));
            }

            AnsiConsole.Write(table);
            if (versions.Count == 0)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]{opened.Name} has no versions yet: the next ingest makes the first[/]");
            }

            return 0;
        });
        return command;
    }

    private static Command Show()
    {
        var collection = CommonOptions.Collection();
        var version = VersionArgument("version", "A version number or an alias (default prod)");
        var command = new Command("show", "Show one version: its lineage, settings, alias history and stored reports") { version, collection };
        command.SetAction(result =>
        {
            using var opened = Open(result, collection, out var catalog);
            var id = Resolve(opened.Name, catalog, result.GetValue(version) ?? VersionAliases.Production);
            var record = catalog.Find(id)!;
            var aliases = catalog.Aliases().Where(a => a.Value == id).Select(a => a.Key).ToList();
            var reports = catalog.Reports(id);
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(new
                {
                    collection = opened.Name,
                    version = record,
                    aliases,
                    reports = reports.Select(r => new { r.Kind, r.CreatedAt, report = JsonDocument.Parse(r.Json).RootElement }),
                });
                return 0;
            }

            var grid = new Grid().AddColumn().AddColumn();
            void Row(string key, string value) => grid.AddRow(new Markup($"[bold]{key}[/]"), new Text(value));
            Row("version", $"{record.Id}{(aliases.Count > 0 ? $" ({string.Join(", ", aliases)})" : "")}");
            Row("parent", record.Parent is { } parent ? $"{parent}{(catalog.Find(parent) is null ? " (deleted by gc)" : "")}" : "(none)");
            Row("change", $"{record.Change}{(record.Note is { } note ? $": {note}" : "")}");
            Row("by", $"{record.CreatedBy} at {record.CreatedAt}");
            Row("content", $"{record.Documents} documents, {record.Chunks} chunks");
            Row("chunker", record.Chunker);
            Row("embedder", record.Embedder);
            Row("analyzer", record.Analyzer);
            Row("settings", $"mode {record.Settings.Mode ?? "(default)"}, fusion {record.Settings.Fusion ?? "(default)"}, HNSW m={record.Settings.M} ef_search={record.Settings.EfSearch}");
            Row("prompts", string.Join(", ", record.Prompts));
            Row("sift", record.SiftVersion);
            foreach (var report in reports)
            {
                Row($"report ({report.Kind})", $"{report.CreatedAt}: {Summary(report)}");
            }

            AnsiConsole.Write(grid);
            return 0;
        });
        return command;
    }

    private static Command Diff()
    {
        var collection = CommonOptions.Collection();
        var from = new Argument<string>("from") { Description = "A version number or alias" };
        var to = new Argument<string>("to") { Description = "A version number or alias" };
        var drift = new Option<bool>("--drift") { Description = "Also measure corpus drift: PSI of the chunks' term and embedding distributions (a sample of 5,000 chunks each)" };
        var command = new Command("diff", "Documents added, removed and changed, and settings changed, between two versions") { from, to, collection, drift };
        command.SetAction(result =>
        {
            using var opened = Open(result, collection, out var catalog);
            var diff = VersionOperations.Diff(catalog, Resolve(opened.Name, catalog, result.GetValue(from)!), Resolve(opened.Name, catalog, result.GetValue(to)!));
            IReadOnlyList<Evaluation.Monitoring.FeatureDrift>? corpus = null;
            if (result.GetValue(drift))
            {
                using var before = catalog.Open(diff.From);
                using var after = catalog.Open(diff.To);
                corpus = DriftMonitor.CorpusDrift(before, after, CommonOptions.Analyzer);
            }

            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(new { collection = opened.Name, diff, corpusDrift = corpus });
                return 0;
            }

            AnsiConsole.MarkupLineInterpolated($"[bold]{opened.Name}[/] version {diff.From} -> {diff.To}: {diff.Added.Count} added, {diff.Removed.Count} removed, {diff.Changed.Count} changed");
            const int Shown = 50;
            foreach (var (sign, ids) in new[] { ("+", diff.Added), ("-", diff.Removed), ("~", diff.Changed) })
            {
                foreach (var id in ids.Take(Shown))
                {
                    AnsiConsole.WriteLine($"  {sign} {id}");
                }

                if (ids.Count > Shown)
                {
                    AnsiConsole.MarkupLineInterpolated($"  [grey]{sign} ... and {ids.Count - Shown} more (--json lists them all)[/]");
                }
            }

            foreach (var setting in diff.Settings)
            {
                AnsiConsole.MarkupLineInterpolated($"  setting [bold]{setting.Name}[/]: {setting.Before} -> {setting.After}");
            }

            foreach (var feature in corpus ?? [])
            {
                AnsiConsole.MarkupLineInterpolated($"  corpus drift [bold]{feature.Name}[/]: PSI {feature.Psi:0.0000}{(feature.Drifted ? " (drifted)" : "")}");
            }

            return 0;
        });
        return command;
    }

    private static Command Tag()
    {
        var collection = CommonOptions.Collection();
        var version = new Argument<string>("version") { Description = "A version number or alias" };
        var alias = new Argument<string>("alias") { Description = "The alias to point at it (created when new)" };
        var command = new Command("tag", "Point an alias at a version") { version, alias, collection };
        command.SetAction(result =>
        {
            using var opened = Open(result, collection, out var catalog);
            var id = Resolve(opened.Name, catalog, result.GetValue(version)!);
            catalog.MoveAlias(result.GetValue(alias)!, id, CollectionVersions.LocalUser, $"tag {result.GetValue(version)}");
            return Moved(result, opened.Name, result.GetValue(alias)!, id);
        });
        return command;
    }

    private static Command Promote()
    {
        var collection = CommonOptions.Collection();
        var from = new Argument<string>("from") { Description = "The version number or alias to promote, e.g. candidate" };
        var to = new Option<string>("--to") { Description = "The alias to move to it", DefaultValueFactory = _ => VersionAliases.Production };
        var gate = new Option<string?>("--gate") { Description = "A judged dataset (BEIR layout) both versions are evaluated on first; the promote is refused (exit 3) when the candidate is significantly worse" };
        var split = CommonOptions.Split();
        var answers = new Option<string?>("--answers") { Description = "A QA test set (as sift eval answers reads) both versions answer first, with the same --llm and --judge; its metrics take --max-drop limits too (e.g. faithfulness=0.02)" };
        var maxDrop = new Option<string[]>("--max-drop") { Description = "The drop allowed per metric before a significant one refuses the promote: retrieval metrics (default ndcg@10=0.01) for --gate, answer metrics (e.g. faithfulness=0.02, token_f1=0.02) for --answers" };
        var llm = new LlmOptions();
        var judgeOptions = new JudgeOptions();
        var command = new Command("promote", "Move an alias (default prod) to a version, optionally through evaluation gates") { from, collection, to, gate, split, answers, maxDrop };
        llm.AddTo(command);
        judgeOptions.AddTo(command);
        command.SetAction(async (result, cancellation) =>
        {
            using var opened = Open(result, collection, out var catalog);
            var alias = VersionAliases.Validate(result.GetValue(to)!);
            var candidate = Resolve(opened.Name, catalog, result.GetValue(from)!);
            var json = result.GetValue(CommonOptions.Json);
            var (retrievalLimits, answerLimits) = SplitLimits(result.GetValue(maxDrop) ?? []);
            if (answerLimits.Count > 0 && result.GetValue(answers) is null)
            {
                throw new InvalidOptionException("maximum drop", $"names answer metrics ({string.Join(", ", answerLimits.Keys)}), which need --answers QA.jsonl");
            }

            if (catalog.Aliases().TryGetValue(alias, out var already) && already == candidate)
            {
                AnsiConsole.MarkupLineInterpolated($"[bold]{opened.Name}[/]: {alias} is at version {candidate} already");
                return 0;
            }

            var reports = new List<GateReport>();
            if (result.GetValue(gate) is not null || result.GetValue(answers) is not null)
            {
                var baseline = catalog.Aliases().TryGetValue(alias, out var current)
                    ? current
                    : throw new SiftException($"alias '{alias}' points at no version yet, so there is nothing to compare the candidate with: promote without a gate");
                using var before = catalog.Open(baseline);
                using var after = catalog.Open(candidate);
                if (result.GetValue(gate) is { } dataset)
                {
                    var data = BeirDataset.LoadJudgedQueries(dataset, result.GetValue(split)!);
                    reports.Add(await VersionOperations.GateAsync(
                        before, baseline, after, candidate, data, retrievalLimits.Count > 0 ? retrievalLimits : new Dictionary<string, double> { ["ndcg@10"] = 0.01 }, CommonOptions.Analyzer, cancellation));
                }

                if (result.GetValue(answers) is { } qa)
                {
                    if (answerLimits.Count == 0)
                    {
                        throw new InvalidOptionException("maximum drop", "names no answer metric for --answers: add e.g. --max-drop token_f1=0.02 (or faithfulness=0.02 with --judge)");
                    }

                    var (answerer, endpoint) = llm.Build(result);
                    var (judge, cache) = judgeOptions.Build(result);
                    if (judge is null && answerLimits.Keys.FirstOrDefault(Evaluation.Answers.JudgedMetrics.Names.Contains) is { } judgedOnly)
                    {
                        throw new InvalidOptionException("maximum drop", $"names {judgedOnly}, which only an LLM judge measures: add --judge (and its endpoint), or gate on token_f1 / context_recall");
                    }

                    using var verdicts = cache;
                    var judged = judge is null ? null : new Evaluation.Answers.JudgedMetrics(judge, EmbedderSpecs.Create(EmbedderSpecs.Default)!);
                    reports.Add(await VersionOperations.AnswerGateAsync(
                        before, baseline, after, candidate, Path.GetFileName(qa), Evaluation.Answers.QaDataset.Load(qa), answerLimits, CommonOptions.Analyzer,
                        new AnswerOptions(answerer, endpoint, llm.MinScore(result), llm.MinCoverage(result)), judged, cancellation));
                }

                foreach (var report in reports)
                {
                    catalog.AttachReport(candidate, "promote-gate", ReportJson.Serialize(report));
                    if (!json)
                    {
                        foreach (var comparison in report.Comparisons)
                        {
                            AnsiConsole.MarkupLineInterpolated($"gate ({report.Dataset} {report.Split}, {report.Queries} queries): version {baseline} -> {candidate}: {comparison.ToString()}");
                        }
                    }
                }

                if (reports.SelectMany(r => r.Failures).ToList() is { Count: > 0 } failures)
                {
                    if (json)
                    {
                        JsonOutput.Write(new { collection = opened.Name, alias, promoted = false, gates = reports });
                    }

                    foreach (var failure in failures)
                    {
                        await Console.Error.WriteLineAsync($"refused: {failure.Summary}");
                    }

                    await Console.Error.WriteLineAsync($"'{alias}' stays at version {baseline}; the report is stored with version {candidate} (sift versions show {candidate} -c {opened.Name})");
                    return EvalCommand.RegressionExitCode;
                }
            }

            catalog.MoveAlias(alias, candidate, CollectionVersions.LocalUser, $"promote {result.GetValue(from)}{(reports.Count == 0 ? "" : " through the gate")}");
            if (json)
            {
                JsonOutput.Write(new { collection = opened.Name, alias, version = candidate, promoted = true, gates = reports });
                return 0;
            }

            return Moved(result, opened.Name, alias, candidate);
        });
        return command;
    }

    /// <summary>Limits on retrieval metrics (ndcg@10, recall@100, ...) apart from limits on answer metrics (anything else).</summary>
    private static (Dictionary<string, double> Retrieval, Dictionary<string, double> Answers) SplitLimits(string[] expressions)
    {
        var (retrieval, answers) = (new Dictionary<string, double>(StringComparer.Ordinal), new Dictionary<string, double>(StringComparer.Ordinal));
        foreach (var expression in expressions)
        {
            var parts = expression.Split('=');
            if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var limit) || limit < 0 || !double.IsFinite(limit))
            {
                throw new InvalidOptionException("maximum drop", $"'{expression}' is not of the form metric=amount, e.g. ndcg@10=0.01 or faithfulness=0.02");
            }

            var name = parts[0].Trim();
            if (name.Contains('@', StringComparison.Ordinal) && !name.StartsWith("context_precision@", StringComparison.Ordinal) && !IsRetrievalMetric(name))
            {
                Evaluation.Metrics.MetricSpec.Parse(name); // says which metrics exist
            }

            if (IsRetrievalMetric($"{name}@10"))
            {
                throw new InvalidOptionException("maximum drop", $"'{name}' needs a cutoff: a retrieval metric is written like {name}@10");
            }

            if (IsRetrievalMetric(name))
            {
                retrieval[Evaluation.Metrics.MetricSpec.Parse(name).ToString()] = limit;
            }
            else
            {
                answers[name] = limit;
            }
        }

        return (retrieval, answers);
    }

    private static bool IsRetrievalMetric(string name)
    {
        try
        {
            Evaluation.Metrics.MetricSpec.Parse(name);
            return true;
        }
        catch (SiftException)
        {
            return false;
        }
    }

    private static Command Rollback()
    {
        var collection = CommonOptions.Collection();
        var alias = new Argument<string>("alias") { Description = "The alias to move back", DefaultValueFactory = _ => VersionAliases.Production };
        var to = new Option<string?>("--to") { Description = "The version to move it to (default: the one it pointed at before)" };
        var command = new Command("rollback", "Move an alias (default prod) back to its previous version, or to --to VERSION") { alias, collection, to };
        command.SetAction(result =>
        {
            using var opened = Open(result, collection, out var catalog);
            var name = result.GetValue(alias)!;
            var target = result.GetValue(to) is { } version ? Resolve(opened.Name, catalog, version) : VersionOperations.RollbackTarget(catalog, name);
            catalog.MoveAlias(name, target, CollectionVersions.LocalUser, VersionOperations.RollbackReason);
            return Moved(result, opened.Name, name, target);
        });
        return command;
    }

    private static Command Collect()
    {
        var collection = CommonOptions.Collection();
        var keepLast = new Option<int>("--keep-last") { Description = "Also keep the newest N versions (at least 1)", DefaultValueFactory = _ => 1 };
        var command = new Command("gc", "Delete versions no alias points at (beyond the newest --keep-last) and the rows only they held") { collection, keepLast };
        command.SetAction(result =>
        {
            using var opened = Open(result, collection, out var catalog);
            var collected = catalog.Collect(new VersionRetention(result.GetValue(keepLast)));
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(new { collection = opened.Name, collected });
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated(
                    $"deleted {collected.DeletedVersions.Count} version(s) {(collected.DeletedVersions.Count > 0 ? $"({string.Join(", ", collected.DeletedVersions)}) " : "")}and {collected.DeletedDocumentRevisions} superseded document revision(s) with {collected.DeletedChunks} chunk(s)");
            }

            return 0;
        });
        return command;
    }

    private static Argument<string?> VersionArgument(string name, string description) => new(name) { Description = description, Arity = ArgumentArity.ZeroOrOne };

    private static IChunkStore Open(ParseResult result, Option<string> collection, out IVersionCatalog catalog)
    {
        var opened = CommonOptions.OpenStore(result).Open(result.GetValue(collection)!);
        if (opened.Versions is { } versions)
        {
            catalog = versions;
            return opened;
        }

        opened.Dispose();
        throw new SiftException($"collection '{result.GetValue(collection)}' keeps no versions: it is a read-only copy written by a Sift from before versions; open it once where it can be written");
    }

    private static long Resolve(string collection, IVersionCatalog catalog, string reference) =>
        CollectionVersions.Find(collection, catalog, reference)
        ?? throw new SiftException($"collection '{collection}' has no version '{reference}' yet: the next ingest makes the first");

    private static int Moved(ParseResult result, string collection, string alias, long version)
    {
        if (result.GetValue(CommonOptions.Json))
        {
            JsonOutput.Write(new { collection, alias, version });
        }
        else
        {
            AnsiConsole.MarkupLineInterpolated($"[bold]{collection}[/]: {alias} -> version {version}");
        }

        return 0;
    }

    private static string Summary(VersionReport report)
    {
        using var json = JsonDocument.Parse(report.Json);
        return report.Kind == "promote-gate" && json.RootElement.TryGetProperty("passed", out var passed)
            ? passed.GetBoolean() ? "passed" : $"refused ({json.RootElement.GetProperty("failures").GetArrayLength()} metric(s) dropped)"
            : ReportText.Clip(report.Json, 200);
    }
}
