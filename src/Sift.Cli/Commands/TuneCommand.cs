using System.Globalization;
using System.CommandLine;
using Sift.Cli.Output;
using Sift.Composition;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift tune -c NAME --dataset DIR</c>: hybrid fusion (RRF or weighted, the dense weight, the candidate pool) chosen
/// from the dataset's judged training queries over the collection's own BM25 and dense rankings, and kept as the
/// collection's defaults (a new version), so <c>--mode hybrid</c> searches it with them.
/// </summary>
internal static class TuneCommand
{
    public static Command Create()
    {
        var collection = CommonOptions.Collection(description: "The collection holding the dataset's corpus, with vectors (e.g. made by sift eval retrieval --collection)");
        var dataset = new Option<string>("--dataset") { Description = "BEIR-layout folder: queries.jsonl and qrels/SPLIT.tsv", Required = true };
        var split = new Option<string>("--split") { Description = "The judged queries to tune on", DefaultValueFactory = _ => "train" };
        var command = new Command("tune", "Choose a collection's hybrid fusion, dense weight and candidate pool from judged queries; --mode hybrid then uses them")
        {
            collection, dataset, split,
        };
        command.SetAction(async (result, cancellation) =>
        {
            var data = TrainCommand.LoadTrainingSplit(result.GetValue(dataset)!, result.GetValue(split)!);
            using var target = CommonOptions.OpenStore(result).OpenBound(result.GetValue(collection)!);
            var tuning = await FusionTuning.TuneAsync(target, CommonOptions.Analyzer, data, cancellation);
            var best = tuning.Best;
            target.Configure(FusionTuning.Apply(target.Settings, best));
            var chosen = string.Create(CultureInfo.InvariantCulture, $"{best.Fusion}, dense weight {best.DenseWeight:0.0}, pool {best.Depth}");
            var recorded = VersionsCommand.Record(result, target, "tune", $"{data.Name} {data.Split}: {chosen}", to: null);
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(new
                {
                    collection = target.Name,
                    dataset = data.Name,
                    split = data.Split,
                    tuning.Queries,
                    best = new { fusion = best.Fusion, denseWeight = best.DenseWeight, depth = best.Depth, ndcg10 = best.Ndcg10 },
                    bm25 = tuning.Bm25,
                    dense = tuning.Dense,
                    seconds = tuning.Elapsed.TotalSeconds,
                    version = recorded?.Version.Id,
                });
                return 0;
            }

            static string Score(double ndcg) => ndcg.ToString("0.0000", CultureInfo.InvariantCulture);
            var table = new Table().Title($"{data.Name} {data.Split}: {tuning.Queries} queries, nDCG@10, best pool per fusion and dense weight").AddColumns("dense weight", "rrf", "weighted");
            foreach (var weight in FusionTuning.Weights)
            {
                string BestPool(string fusion)
                {
                    var choice = tuning.Tried.Where(t => t.Fusion == fusion && t.DenseWeight == weight).MaxBy(t => t.Ndcg10)!;
                    return string.Create(CultureInfo.InvariantCulture, $"{Score(choice.Ndcg10)} (pool {choice.Depth})");
                }

                table.AddRow(weight.ToString("0.0", CultureInfo.InvariantCulture), BestPool("rrf"), BestPool("weighted"));
            }

            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated(
                $"BM25 alone {Score(tuning.Bm25)}, dense alone {Score(tuning.Dense)}; best: {chosen}: {Score(best.Ndcg10)} ({tuning.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s)");
            AnsiConsole.MarkupLineInterpolated(
                $"'{target.Name}' now fuses that way in --mode hybrid (its default mode is {target.Settings.Mode ?? Retrieval.RetrievalSettings.DefaultMode}; set one with sift collections configure {target.Name} --mode){VersionsCommand.Made(recorded)}");
            return 0;
        });
        return command;
    }
}
