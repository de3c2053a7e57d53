using System.CommandLine;
using System.Text;
using Sift.Cli.Output;
using Sift.Composition;
using Sift.Core.Stages;
using Sift.Retrieval.Snippets;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary><c>sift search "query" --collection NAME</c>: ranked chunks with highlighted snippets.</summary>
internal static class SearchCommand
{
    public static Command Create()
    {
        var query = new Argument<string>("query") { Description = "What to search for" };
        var collection = CommonOptions.Collection();
        var k = new Option<int>("-k", "--top") { Description = "Number of results", DefaultValueFactory = _ => 10 };
        var filter = CommonOptions.Filter();
        var retrieval = new RetrievalOptions();
        var command = new Command("search", "Search a collection (BM25, vectors, or both fused)") { query, collection, k, filter };
        retrieval.AddTo(command);
        command.SetAction(async (result, cancellation) =>
        {
            using var reading = CommonOptions.OpenForReading(result, result.GetValue(collection)!);
            var target = reading.Target;
            if (retrieval.NeedsVectors(result, target))
            {
                SiftStores.BindEmbedder(target, requested: null);
            }

            var text = result.GetValue(query)!;
            var retriever = retrieval.Build(result, target);
            var hits = await retriever.RetrieveAsync(
                new RetrievalQuery(text, result.GetValue(k), CommonOptions.ParseFilter(result.GetValue(filter))), cancellation);
            var snippet = new SnippetBuilder(CommonOptions.Analyzer).For(text);
            var results = hits.Select(h => new SearchResult(h, snippet(h.Chunk.Text))).ToList();
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(new
                {
                    query = text,
                    collection = target.Name,
                    mode = retriever.Name,
                    results = results.Select(r => new
                    {
                        rank = r.Hit.Rank,
                        score = r.Hit.Score,
                        chunkId = r.Hit.Chunk.Id,
                        documentId = r.Hit.Chunk.DocumentId,
                        title = r.Hit.Chunk.Title,
                        source = r.Hit.Chunk.Source,
                        start = r.Hit.Chunk.Start,
                        end = r.Hit.Chunk.End,
                        headingPath = r.Hit.Chunk.HeadingPath,
                        page = r.Hit.Chunk.Page,
                        snippet = r.Snippet.Text,
                        highlights = r.Snippet.Highlights.Select(h => new { start = h.Start, length = h.Length }),
                    }),
                });
            }
            else
            {
                Render(text, results);
            }

            return 0;
        });
        return command;
    }

    public static void Render(string query, IReadOnlyList<SearchResult> results)
    {
        if (results.Count == 0)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]no results for[/] {query}");
            return;
        }

        foreach (var (hit, snippet) in results)
        {
            var location = hit.Chunk.HeadingPath.Count > 0 ? " > " + string.Join(" > ", hit.Chunk.HeadingPath) : "";
            var page = hit.Chunk.Page is { } p ? $" (page {p})" : "";
            AnsiConsole.MarkupLine(
                $"[bold]{hit.Rank,2}.[/] [cyan]{hit.Score:0.000}[/]  [bold]{Markup.Escape(hit.Chunk.DocumentId)}[/]{Markup.Escape(location + page)}");
            AnsiConsole.MarkupLine($"    {Highlight(snippet)}");
            AnsiConsole.MarkupLine($"    [grey]{Markup.Escape(hit.Chunk.Source)}[/]");
        }
    }

    private static string Highlight(Snippet snippet)
    {
        var markup = new StringBuilder();
        var at = 0;
        foreach (var (start, length) in snippet.Highlights)
        {
            markup.Append(Markup.Escape(snippet.Text[at..start]));
            markup.Append("[bold yellow]").Append(Markup.Escape(snippet.Text.Substring(start, length))).Append("[/]");
            at = start + length;
        }

        return markup.Append(Markup.Escape(snippet.Text[at..])).ToString();
    }

    internal sealed record SearchResult(RetrievedChunk Hit, Snippet Snippet);
}
