using System.CommandLine;
using Sift.Cli.Output;
using Sift.Composition;
using Sift.Core;
using Sift.Core.Stages;
using Sift.Evaluation;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Metrics;
using Sift.Ingest;
using Sift.Ingest.Chunking;
using Sift.Retrieval;
using Sift.Retrieval.Snippets;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift demo</c>: ingest the small corpus shipped with Sift into the <c>demo</c> collection, show a few searches,
/// and evaluate retrieval on its judged queries. Offline, nothing to install.
/// </summary>
internal static class DemoCommand
{
    private const string CollectionName = "demo";
    private const int ShownQueries = 3;
    private const string DemoQuestion = "What does a cross-encoder read, and why is it used as a second stage?";

    public static Command Create()
    {
        var command = new Command("demo", "Ingest the bundled demo corpus, search it, answer a question from it and evaluate retrieval");
        command.SetAction(async (result, cancellation) =>
        {
            var json = result.GetValue(CommonOptions.Json);
            var folder = Path.Combine(AppContext.BaseDirectory, "demo");
            if (!Directory.Exists(Path.Combine(folder, "corpus")))
            {
                throw new SiftException($"the demo corpus is missing from {folder}; rebuild Sift");
            }

            using var store = CommonOptions.OpenStore(result);
            using var collection = store.OpenOrCreate(CollectionName);
            SiftStores.BindEmbedder(collection, requested: null);
            var ingest = await IngestCommand.RunAsync(
                collection, new RecursiveChunker(ChunkerFactory.DefaultSize), new IngestRequest(Path.Combine(folder, "corpus"), Prune: true), showProgress: !json, cancellation);
            VersionsCommand.Record(result, collection, "ingest", Path.Combine(folder, "corpus"), to: null); // like any ingest: a version, prod on it
            var retriever = RetrievalOptions.Create(collection, RetrievalSettings.DefaultMode);
            var judged = BeirDataset.LoadJudgedQueries(folder);
            var snippets = new SnippetBuilder(CommonOptions.Analyzer);

            var searches = new List<(string Query, IReadOnlyList<SearchCommand.SearchResult> Results)>();
            foreach (var query in judged.Queries.Values.Take(ShownQueries))
            {
                var hits = await retriever.RetrieveAsync(new RetrievalQuery(query, 3), cancellation);
                var snippet = snippets.For(query);
                searches.Add((query, [.. hits.Select(h => new SearchCommand.SearchResult(h, snippet(h.Chunk.Text)))]));
            }

            var evaluation = await RetrievalEvaluator.EvaluateAsync(
                judged, (query, depth, cancel) => retriever.RankDocumentsAsync(query, depth, cancellationToken: cancel), [.. new[] { "ndcg@10", "mrr@10", "hit@1", "hit@3", "recall@3" }.Select(MetricSpec.Parse)], 10, cancellation);

            var ask = await new SiftAnswering(CommonOptions.Analyzer).Create(retriever)
                .AskAsync(DemoQuestion, cancellationToken: cancellation);

            if (json)
            {
                JsonOutput.Write(new
                {
                    collection = collection.Name,
                    store = store.Location,
                    ingest,
                    searches = searches.Select(s => new { s.Query, results = s.Results.Select(r => new { r.Hit.Rank, r.Hit.Score, r.Hit.Chunk.DocumentId, snippet = r.Snippet.Text }) }),
                    metrics = evaluation.Means,
                    ask,
                });
                return 0;
            }

            IngestCommand.Render(collection.Name, ingest);
            foreach (var (query, results) in searches)
            {
                AnsiConsole.WriteLine();
                AnsiConsole.MarkupLineInterpolated($"[bold]sift search[/] \"{query}\" -c {CollectionName} -k 3");
                SearchCommand.Render(query, results);
            }

            AnsiConsole.WriteLine();
            EvalCommand.Render(evaluation, ingest: null, allQueries: false);
            AnsiConsole.WriteLine();
            AnsiConsole.MarkupLineInterpolated($"[bold]sift ask[/] \"{DemoQuestion}\" -c {CollectionName}");
            AnsiConsole.WriteLine(ask.Answer);
            foreach (var citation in ask.Citations)
            {
                AnsiConsole.MarkupLineInterpolated($"  [bold][[{citation.Label}]][/] {citation.DocumentId}");
            }

            AnsiConsole.MarkupLineInterpolated(
                $"\nTry: [bold]sift search \"your question\" --collection {CollectionName}[/] or [bold]sift ask[/] (store: {store.Location})");
            return 0;
        });
        return command;
    }
}
