using System.CommandLine;
using System.Globalization;
using Sift.Cli.Output;
using Sift.Composition;
using Sift.Evaluation.Beir;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift train ranker -c NAME --dataset DIR</c>: a learned ranker (LightGBM LambdaRank over lexical, proximity, RM3
/// and GloVe features) trained on the dataset's judged training queries over the collection's own BM25 candidates,
/// cross-validated by query, and kept with the collection (a new version), which then reranks with it by default.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var collection = CommonOptions.Collection(description: "The collection holding the dataset's corpus (e.g. made by sift eval retrieval --collection)");
        var dataset = new Option<string?>("--dataset") { Description = "BEIR-layout folder: queries.jsonl and qrels/SPLIT.tsv" };
        var remove = new Option<bool>("--remove") { Description = "Remove the collection's learned ranker instead (a new version); searches rank by BM25 again" };
        var fromFeedback = new Option<bool>("--from-feedback") { Description = "Learn from answers rated in the query log (sift feedback, the console, the API): a helpful answer's cited documents are relevant to its question, an unhelpful one's are not" };
        var general = new Option<bool>("--general") { Description = "Use the general ranker shipped with Sift (trained on SciFact and NFCorpus) for a collection without judgments of its own (a new version)" };
        var split = new Option<string>("--split") { Description = "The judged queries to learn from", DefaultValueFactory = _ => "train" };
        var ranker = new Command("ranker", "Train a learned ranker for a collection from judged queries; searches, answers and evaluations then rerank with it (--no-ranker to compare)")
        {
            collection, dataset, split, fromFeedback, general, remove,
        };
        ranker.Validators.Add(parsed =>
        {
            if ((parsed.GetValue(dataset) is null ? 0 : 1) + (parsed.GetValue(fromFeedback) ? 1 : 0) + (parsed.GetValue(general) ? 1 : 0) + (parsed.GetValue(remove) ? 1 : 0) != 1)
            {
                parsed.AddError("give one of --dataset DIR (train on its judgments), --from-feedback (train on rated answers), --general (Sift's general ranker) or --remove (remove the ranker)");
            }
            else if (parsed.GetValue(dataset) is null && parsed.GetResult(split) is { Implicit: false })
            {
                parsed.AddError("--split chooses the queries of --dataset; give it with --dataset");
            }
        });
        ranker.SetAction(async (result, cancellation) =>
        {
            if (result.GetValue(remove))
            {
                using var trained = CommonOptions.OpenStore(result).Open(result.GetValue(collection)!);
                trained.Configure(trained.Settings with { Ranker = null });
                var made = VersionsCommand.Record(result, trained, "remove-ranker", "", to: null);
                if (result.GetValue(CommonOptions.Json))
                {
                    JsonOutput.Write(new { collection = trained.Name, ranker = (string?)null, version = made?.Version.Id });
                    return 0;
                }

                AnsiConsole.MarkupLineInterpolated($"'{trained.Name}' ranks by its first stage again{VersionsCommand.Made(made)}");
                return 0;
            }

            if (result.GetValue(general))
            {
                using var chosen = CommonOptions.OpenStore(result).Open(result.GetValue(collection)!);
                chosen.Configure(chosen.Settings with { Ranker = Models.Learned.RankerModel.GeneralJson });
                var made = VersionsCommand.Record(result, chosen, "train-ranker", "general", to: null);
                if (result.GetValue(CommonOptions.Json))
                {
                    JsonOutput.Write(new { collection = chosen.Name, ranker = LearnedRankers.Describe(chosen.Settings.Ranker), depth = LearnedRankers.Depth, version = made?.Version.Id });
                    return 0;
                }

                AnsiConsole.MarkupLineInterpolated($"'{chosen.Name}' now reranks its top {LearnedRankers.Depth} with Sift's general ranker ({LearnedRankers.Describe(chosen.Settings.Ranker)}){VersionsCommand.Made(made)}");
                return 0;
            }

            var data = result.GetValue(fromFeedback) ? null : LoadTrainingSplit(result.GetValue(dataset)!, result.GetValue(split)!);
            using var target = CommonOptions.OpenStore(result).Open(result.GetValue(collection)!);
            if (data is null)
            {
                using var log = SiftStores.OpenQueryLog(Core.Storage.StoreLocation.Resolve(result.GetValue(CommonOptions.Store)), CommonOptions.HomeFolder(result));
                var answers = log.Read();
                data = LearnedRankers.FeedbackJudgments(answers, target.Name);
                if (data.Queries.Count < LearnedRankers.MinQueries)
                {
                    var rated = answers.Count(a => a.Collection == target.Name && a.Feedback.Count > 0);
                    throw new Core.SiftException(
                        $"the query log holds {rated} rated answer(s) from '{target.Name}', {data.Queries.Count} usable (rated helpful on balance and citing documents: abstentions and uncited answers teach nothing); a ranker needs at least {LearnedRankers.MinQueries}");
                }
            }

            if (!result.GetValue(CommonOptions.Json))
            {
                // Half a minute to minutes: say what is happening rather than sit silent.
                AnsiConsole.MarkupLineInterpolated($"[grey]ranking {data.Queries.Count} queries' top {LearnedRankers.Depth} in '{target.Name}', then training 3 folds and the final model...[/]");
            }

            var training = await LearnedRankers.TrainAsync(target, CommonOptions.Analyzer, data, cancellation);
            target.Configure(target.Settings with { Ranker = training.Model.ToJson() });
            var recorded = VersionsCommand.Record(result, target, "train-ranker", $"{data.Name} {data.Split}", to: null);
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(new
                {
                    collection = target.Name,
                    dataset = data.Name,
                    split = data.Split,
                    training.Queries,
                    training.Candidates,
                    folds = training.FirstStage.Select((b, i) => new { bm25 = b, learned = training.Learned[i] }),
                    seconds = training.Elapsed.TotalSeconds,
                    modelBytes = training.Model.SizeBytes,
                    version = recorded?.Version.Id,
                });
                return 0;
            }

            var table = new Table().Title($"{data.Name} {data.Split}: {training.Queries} queries, {training.Candidates} candidates; nDCG@10 on held-out folds").AddColumns("fold", "bm25", "learned");
            for (var i = 0; i < training.FirstStage.Length; i++)
            {
                table.AddRow((i + 1).ToString(CultureInfo.InvariantCulture), training.FirstStage[i].ToString("0.0000", CultureInfo.InvariantCulture), training.Learned[i].ToString("0.0000", CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated(
                $"trained in {training.Elapsed.TotalSeconds:0.0}s ({training.Model.SizeBytes / 1024.0:0} KiB model); '{target.Name}' now reranks its top {LearnedRankers.Depth} with it{VersionsCommand.Made(recorded)}");
            return 0;
        });
        return new Command("train", "Learn from judged queries: ranker") { ranker };
    }

    /// <summary>A dataset's judged queries to learn from; never the test split, which is kept for reporting.</summary>
    public static BeirDataset LoadTrainingSplit(string folder, string split) => split == "test"
        ? throw new Core.InvalidOptionException("--split", "is 'test': learn from a training split (train) and keep test for reporting, or the test score means nothing")
        : BeirDataset.LoadJudgedQueries(folder, split);
}
