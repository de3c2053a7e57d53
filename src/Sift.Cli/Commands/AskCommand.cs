using System.CommandLine;
using Sift.Cli.Output;
using Sift.Generation.Steps;
using Sift.Composition;
using Sift.Generation.Llm;
using Sift.Generation.Logging;
using Sift.Generation.Prompts;
using Sift.Index.Storage;
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
        var budget = new Option<int>("--budget") { Description = "Context budget in tokens", DefaultValueFactory = _ => SiftAnswering.DefaultBudgetTokens };
        var tokenizer = new Option<string>("--tokenizer") { Description = "Tokenizer that counts the budget: cl100k | o200k", DefaultValueFactory = _ => "cl100k" };
        var filter = CommonOptions.Filter();
        var noLog = new Option<bool>("--no-log") { Description = "Do not record this answer in the store's answer log (used by sift feedback and sift eval mine)" };
        var steps = new Option<int?>("--steps") { Description = $"Let the model search again with refined queries, at most N times (1-{StepLimits.HardCap}), before it answers (needs an LLM)" };
        var stepTokens = new Option<int?>("--step-tokens") { Description = $"Most tokens the model may spend planning steps (default {StepLimits.DefaultMaxTokens})" };
        var stepSeconds = new Option<double?>("--step-seconds") { Description = $"Most seconds spent planning steps (default {StepLimits.DefaultMaxTime.TotalSeconds:0})" };
        var stepCost = new Option<decimal?>("--step-cost") { Description = "Most estimated cost (dollars, with --price-in/--price-out) spent planning steps" };
        var retrieval = new RetrievalOptions();
        var command = new Command("ask", "Answer a question from a collection, citing the passages used (offline: extractive)")
        {
            question, collection, k, budget, tokenizer, filter, noLog, steps, stepTokens, stepSeconds, stepCost,
        };
        retrieval.AddTo(command);
        var llmOptions = new LlmOptions();
        llmOptions.AddTo(command);
        command.SetAction(async (result, cancellation) =>
        {
            using var reading = CommonOptions.OpenForReading(result, result.GetValue(collection)!);
            var target = reading.Target;
            if (target.Info().Documents == 0)
            {
                throw new Core.SiftException($"collection '{target.Name}' has no documents to answer from");
            }

            if (retrieval.NeedsVectors(result, target))
            {
                SiftStores.BindEmbedder(target, requested: null);
            }

            var json = result.GetValue(CommonOptions.Json);
            var (answerer, endpoint) = llmOptions.Build(result);
            var answering = new SiftAnswering(CommonOptions.Analyzer);
            var options = new AnswerOptions(answerer, endpoint, llmOptions.MinScore(result), llmOptions.MinCoverage(result), result.GetValue(tokenizer)!, target.Settings.Guardrails);
            var streamed = false;
            Action<string>? onToken = json ? null : token =>
            {
                streamed = true;
                Console.Out.Write(token);
                Console.Out.Flush();
            };
            var (asked, filters) = (result.GetValue(question)!, CommonOptions.ParseFilter(result.GetValue(filter)));
            var answer = result.GetValue(steps) is { } maxSteps
                ? await answering.AskInStepsAsync(
                    retrieval.Build(result, target), options, asked, result.GetValue(k), result.GetValue(budget), filters,
                    StepLimits.Create(maxSteps, result.GetValue(stepTokens), result.GetValue(stepSeconds), result.GetValue(stepCost)), onToken, cancellation)
                : await answering.Create(retrieval.Build(result, target), options).AskAsync(asked, result.GetValue(k), result.GetValue(budget), filters, onToken, cancellation);
            string? answerId = null;
            if (reading.Collection.IsReadOnly && !result.GetValue(noLog)) // the store, not the version read (versions are read-only)
            {
                await Console.Error.WriteLineAsync("note: the store is read-only, so this answer is not logged (and cannot be rated)");
            }
            else if (!result.GetValue(noLog))
            {
                using var log = SiftStores.OpenQueryLog(Core.Storage.StoreLocation.Resolve(result.GetValue(CommonOptions.Store)), CommonOptions.HomeFolder(result));
                answerId = log.RecordAnswer(answer, target.Name, target.Info().Generation);
            }

            if (json)
            {
                var node = System.Text.Json.JsonSerializer.SerializeToNode(answer, JsonOutput.Options)!.AsObject();
                node.Insert(0, "id", answerId);
                Console.Out.WriteLine(node.ToJsonString(JsonOutput.Options));
                return 0;
            }

            if (streamed)
            {
                // The streamed text is what the model said; show the checked version if citations had to be repaired.
                AnsiConsole.WriteLine();
                if (answer.Flags.InvalidCitations > 0)
                {
                    AnsiConsole.MarkupLineInterpolated($"[yellow]checked answer:[/] {answer.Answer}");
                }
            }
            else
            {
                AnsiConsole.WriteLine(answer.Answer);
            }

            AnsiConsole.WriteLine();
            foreach (var citation in answer.Citations)
            {
                // Offsets are into the document's extracted text (not the file's bytes): say so, and how to see it.
                var where = Place.Of(citation.HeadingPath, citation.Page);
                AnsiConsole.MarkupLineInterpolated($"[bold][[{citation.Label}]][/] {citation.DocumentId}{(where.Length > 0 ? $" ({where})" : "")} [grey](extracted text {citation.Start}-{citation.End}; sift documents show {citation.DocumentId} --span {citation.Start}-{citation.End} -c {target.Name}{CommonOptions.StoreHint(result)})[/]");
                AnsiConsole.MarkupLineInterpolated($"    [italic]\"{citation.Quote}\"[/]");
            }

            var flags = answer.Flags;
            foreach (var passage in flags.Withheld ?? [])
            {
                // Never silently: the reader learns a source was kept from the model, and why.
                AnsiConsole.MarkupLineInterpolated($"[yellow]withheld from the model: {passage.DocumentId} ({passage.Detector}: {passage.Reason}: \"{passage.Evidence}\")[/]");
            }

            foreach (var passage in flags.Flagged ?? [])
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]flagged (given to the model, as the collection's policy says): {passage.DocumentId} ({passage.Detector}: {passage.Reason}: \"{passage.Evidence}\")[/]");
            }

            if (flags.QuestionFlag is { } questionFlag)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]the question reads as prompt injection ({questionFlag.Detector}: {questionFlag.Reason}: \"{questionFlag.Evidence}\")[/]");
            }

            foreach (var step in answer.Steps ?? [])
            {
                AnsiConsole.MarkupLineInterpolated($"[grey]step {step.Step}: {step.Action}{(step.Query is null ? "" : $" \"{step.Query}\" (+{step.NewPassages} passages)")}, {step.TokensIn + step.TokensOut} tokens, {step.Ms:0} ms[/]");
            }

            if (flags.Stopped is { } stopped)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]steps stopped: {stopped}[/]");
            }

            if (flags.Refused is { } refused)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]refused: {refused}{(flags.QuestionFlag is null ? "" : $" (the collection's policy; sift collections configure {target.Name} --injection flag answers such questions and records the flag)")}[/]");
            }

            if (flags.Pii is { Count: > 0 } pii)
            {
                var redacted = target.Settings.Guardrails.Pii == Core.Stages.PiiAction.Redact ? " (redacted)" : "";
                AnsiConsole.MarkupLineInterpolated($"[yellow]personal data{redacted}: {string.Join(", ", pii.Select(p => $"{p.Type} x{p.Count} in the {p.Where}"))}[/]");
            }

            var source = flags.Degraded ? $"degraded: {flags.Note}" : flags.Extractive ? "extractive answer (no LLM configured)" : $"{answer.Model}, prompt {answer.PromptVersion}, {answer.TokensIn} in / {answer.TokensOut} out tokens, ~${answer.EstimatedCost:0.0000}";
            AnsiConsole.MarkupLineInterpolated(
                $"[grey]{source}{(flags.Abstained && flags.Refused is null ? "; abstained: the sources do not answer this" : "")}{(flags.InvalidCitations > 0 ? $"; {flags.InvalidCitations} invalid citation(s) removed" : "")}{(flags.UncitedSentences > 0 ? $"; {flags.UncitedSentences} uncited sentence(s)" : "")}{(flags.UnsupportedCitations > 0 ? $"; {flags.UnsupportedCitations} sentence(s) not supported by the passage they cite" : "")}; {answer.TimingsMs.Values.Sum():0.0} ms{(answerId is null ? "" : $"; answer id {answerId} (rate it: sift feedback {answerId} --up|--down{CommonOptions.StoreHint(result)})")}[/]");
            return 0;
        });
        return command;
    }
}
