using System.CommandLine;
using Sift.Cli.Output;
using Sift.Generation;
using Sift.Generation.Citations;
using Sift.Generation.Context;
using Sift.Generation.Extractive;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary><c>sift ask "question" --collection NAME</c>: a grounded answer with checked citations.</summary>
internal static class AskCommand
{
    public static Command Create()
    {
        var question = new Argument<string>("question") { Description = "What to ask" };
        var collection = CommonOptions.Collection();
        var k = new Option<int>("-k", "--top") { Description = "Chunks retrieved for the context", DefaultValueFactory = _ => 10 };
        var budget = new Option<int>("--budget") { Description = "Context budget in tokens (cl100k)", DefaultValueFactory = _ => 3000 };
        var filter = CommonOptions.Filter();
        var retrieval = new RetrievalOptions();
        var command = new Command("ask", "Answer a question from a collection, citing the passages used (offline: extractive)") { question, collection, k, budget, filter };
        retrieval.AddTo(command);
        command.SetAction(async (result, cancellation) =>
        {
            using var target = CommonOptions.OpenStore(result).Open(result.GetValue(collection)!);
            if (target.Info().Documents == 0)
            {
                throw new Core.SiftException($"collection '{target.Name}' has no documents to answer from");
            }

            if (retrieval.NeedsVectors(result, target))
            {
                EmbedderSpecs.Attach(target, requested: null);
            }

            var pipeline = new AskPipeline(
                retrieval.Build(result, target),
                new ContextAssembler(ContextAssembler.DefaultTokenizer),
                new ExtractiveAnswerer(CommonOptions.Analyzer),
                new CitationChecker());
            var answer = await pipeline.AskAsync(
                result.GetValue(question)!, result.GetValue(k), result.GetValue(budget), CommonOptions.ParseFilter(result.GetValue(filter)), cancellation);
            if (result.GetValue(CommonOptions.Json))
            {
                JsonOutput.Write(answer);
                return 0;
            }

            AnsiConsole.WriteLine(answer.Answer);
            AnsiConsole.WriteLine();
            foreach (var citation in answer.Citations)
            {
                AnsiConsole.MarkupLineInterpolated($"[bold][[{citation.Label}]][/] {citation.DocumentId} [grey]({citation.Source}:{citation.Start}-{citation.End})[/]");
                AnsiConsole.MarkupLineInterpolated($"    [italic]\"{citation.Quote}\"[/]");
            }

            var flags = answer.Flags;
            AnsiConsole.MarkupLineInterpolated(
                $"[grey]{(flags.Extractive ? "extractive answer (no LLM configured)" : answer.Model)}{(flags.Abstained ? "; abstained: the sources do not answer this" : "")}{(flags.UncitedSentences > 0 ? $"; {flags.UncitedSentences} uncited sentence(s)" : "")}; {answer.TimingsMs.Values.Sum():0.0} ms[/]");
            return 0;
        });
        return command;
    }
}
