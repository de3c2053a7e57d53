using System.CommandLine;
using Sift.Cli.Output;
using Sift.Index.Storage;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary><c>sift collections check|repair</c>: find what is wrong with a collection, and salvage a damaged one.</summary>
internal static class CollectionIntegrityCommands
{
    /// <summary>Problems listed per check for people; <c>--json</c> lists them all.</summary>
    private const int ShownProblems = 20;

    public static Command Check()
    {
        var name = new Argument<string>("name") { Description = "Collection name" };
        var command = new Command("check", $"Check a collection's database, chunk hashes, embeddings and vector index without changing anything (exit {SiftCli.UserError} when anything is wrong)") { name };
        command.SetAction(result =>
        {
            var report = CommonOptions.OpenEmbeddedStore(result, "collections check").Check(result.GetValue(name)!);
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(new { report.Collection, report.Ok, report.ProblemCount, report.Checks });
            }
            else
            {
                foreach (var check in report.Checks)
                {
                    var status = check.Ok ? "[green]ok[/]  " : "[red]FAIL[/]";
                    AnsiConsole.MarkupLine($"{status} {Markup.Escape(check.Name)}: {Markup.Escape(check.Summary)}");
                    foreach (var problem in check.Problems.Take(ShownProblems))
                    {
                        AnsiConsole.MarkupLineInterpolated($"      {problem.Message}");
                    }

                    if (check.Problems.Count > ShownProblems)
                    {
                        AnsiConsole.MarkupLineInterpolated($"      ... and {check.Problems.Count - ShownProblems:N0} more (--json lists them all)");
                    }
                }
            }

            if (report.Ok)
            {
                return 0;
            }

            // Damage only in the index files (derived data) is fixed by rebuilding them; the store itself needs a repair.
            var onlyIndexFiles = report.Checks.Where(c => !c.Ok).All(c => c.Name is "vector index" or "lexical index");
            Console.Error.WriteLine(onlyIndexFiles
                ? $"error: collection '{report.Collection}' has {report.ProblemCount:N0} problem(s), all in its index files; rebuild them with: sift collections rebuild {report.Collection}"
                : $"error: collection '{report.Collection}' has {report.ProblemCount:N0} problem(s); salvage what reads back with: sift collections repair {report.Collection} --to NEWNAME");
            return SiftCli.UserError;
        });
        return command;
    }

    public static Command Repair()
    {
        var name = new Argument<string>("name") { Description = "The damaged collection (only read, never changed)" };
        var to = new Option<string>("--to") { Description = "Name of the new collection that receives what is salvaged", Required = true };
        var command = new Command("repair", "Salvage the documents of a damaged collection that read back intact into a new collection, and report what was lost") { name, to };
        command.SetAction(result =>
        {
            var report = CommonOptions.OpenEmbeddedStore(result, "collections repair").Repair(result.GetValue(name)!, result.GetValue(to)!, EmbedderSpecs.Create);
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(report);
                return 0;
            }

            AnsiConsole.MarkupLineInterpolated(
                $"repaired [bold]{report.From}[/] into [bold]{report.To}[/]: {report.DocumentsRecovered:N0} documents ({report.ChunksRecovered:N0} chunks) recovered, {report.DocumentsLost.Count:N0} lost");
            AnsiConsole.MarkupLineInterpolated($"vectors: {report.VectorsKept:N0} kept, {report.VectorsReembedded:N0} re-embedded");
            foreach (var lost in report.DocumentsLost.Take(ShownProblems))
            {
                AnsiConsole.MarkupLineInterpolated($"  lost {lost.DocumentId}: {lost.Reason}");
            }

            if (report.DocumentsLost.Count > ShownProblems)
            {
                AnsiConsole.MarkupLineInterpolated($"  ... and {report.DocumentsLost.Count - ShownProblems:N0} more (--json lists them all)");
            }

            foreach (var rows in report.UnreadableRows)
            {
                AnsiConsole.MarkupLineInterpolated($"  unreadable: {rows.Table} rows {rows.First}-{rows.Last} ({rows.Reason})");
            }

            if (report.OrphanChunksDropped > 0)
            {
                AnsiConsole.MarkupLineInterpolated($"  dropped {report.OrphanChunksDropped:N0} chunks whose document row was unreadable");
            }

            return 0;
        });
        return command;
    }
}
