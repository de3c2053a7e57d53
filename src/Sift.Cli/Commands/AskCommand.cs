using System.CommandLine;
using Sift.Cli.Output;
using Sift.Generation;
using Sift.Generation.Citations;
using Sift.Generation.Context;
using Sift.Generation.Extractive;
using Sift.Generation.Llm;
using Sift.Generation.Prompts;
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
        var budget = new Option<int>("--budget") { Description = "Context budget in tokens", DefaultValueFactory = _ => 3000 };
        var tokenizer = new Option<string>("--tokenizer") { Description = "Tokenizer that counts the budget: cl100k | o200k", DefaultValueFactory = _ => "cl100k" };
        var filter = CommonOptions.Filter();
        var retrieval = new RetrievalOptions();
        var llm = new Option<string?>("--llm") { Description = "openai-compatible (OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp, LM Studio) | anthropic; default: $SIFT_LLM, else none (extractive answers)" };
        llm.AcceptOnlyFromAmong("openai-compatible", "anthropic", "none");
        var baseUrl = new Option<string?>("--base-url") { Description = "The LLM endpoint, e.g. http://localhost:11434/v1 (default: $SIFT_LLM_BASE_URL, else the provider's); key from $SIFT_LLM_API_KEY, else $OPENAI_API_KEY / $ANTHROPIC_API_KEY" };
        var model = new Option<string?>("--model") { Description = "Model name (default: $SIFT_LLM_MODEL, else gpt-4o-mini / claude-haiku-4-5)" };
        var prompt = new Option<string?>("--prompt") { Description = $"Prompt template id (sift prompts list; default {PromptLibrary.DefaultId})" };
        var timeout = new Option<int?>("--timeout") { Description = "Seconds to wait for the LLM before falling back to an extractive answer (default 60)" };
        var priceIn = new Option<decimal?>("--price-in") { Description = "Price per million input tokens, for the cost estimate" };
        var priceOut = new Option<decimal?>("--price-out") { Description = "Price per million output tokens, for the cost estimate" };
        var minScore = new Option<double>("--min-score") { Description = "Abstain (\"not found in the sources\") when the best retrieval score is below this; calibrate it on an eval set", DefaultValueFactory = _ => 0 };
        var command = new Command("ask", "Answer a question from a collection, citing the passages used (offline: extractive)")
        {
            question, collection, k, budget, tokenizer, filter, llm, baseUrl, model, prompt, timeout, priceIn, priceOut, minScore,
        };
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

            var json = result.GetValue(CommonOptions.Json);
            LlmEndpoint? endpoint = null;
            LlmAnswerer? answerer = null;
            var config = SiftConfig.Load(Index.Storage.CollectionStore.ResolveRoot(result.GetValue(CommonOptions.Store)));
            var provider = result.GetValue(llm) ?? Environment.GetEnvironmentVariable("SIFT_LLM") ?? config.Llm?.Provider ?? "none";
            if (provider is not ("none" or "openai-compatible" or "anthropic"))
            {
                throw new Core.SiftException($"unknown LLM provider '{provider}' (use openai-compatible, anthropic or none)");
            }

            if (provider != "none")
            {
                var anthropic = provider == "anthropic";
                var modelName = result.GetValue(model) ?? Environment.GetEnvironmentVariable("SIFT_LLM_MODEL") ?? config.Llm?.Model ?? (anthropic ? "claude-haiku-4-5" : "gpt-4o-mini");
                var price = config.Prices?.GetValueOrDefault(modelName);
                endpoint = new LlmEndpoint(
                    anthropic ? LlmProvider.Anthropic : LlmProvider.OpenAiCompatible,
                    new Uri(result.GetValue(baseUrl) ?? Environment.GetEnvironmentVariable("SIFT_LLM_BASE_URL") ?? config.Llm?.BaseUrl ?? (anthropic ? "https://api.anthropic.com" : "https://api.openai.com/v1")),
                    modelName,
                    SiftConfig.ApiKey(anthropic ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY"),
                    TimeSpan.FromSeconds(result.GetValue(timeout) ?? config.Llm?.TimeoutSeconds ?? 60),
                    config.Llm?.MaxRetries ?? 3,
                    result.GetValue(priceIn) ?? price?.InputPerMillion,
                    result.GetValue(priceOut) ?? price?.OutputPerMillion);
                var template = PromptLibrary.Get(result.GetValue(prompt) ?? config.Llm?.Prompt ?? PromptLibrary.DefaultId, PromptsCommand.UserFolder(result));
                answerer = new LlmAnswerer(endpoint.CreateChatClient(), template, endpoint.Model);
            }

            var pipeline = new AskPipeline(
                retrieval.Build(result, target),
                new ContextAssembler(ContextAssembler.TokenizerFor(result.GetValue(tokenizer)!)),
                new ExtractiveAnswerer(CommonOptions.Analyzer),
                new CitationChecker(),
                answerer,
                endpoint,
                minScore: result.GetValue(minScore));
            var streamed = false;
            var answer = await pipeline.AskAsync(
                result.GetValue(question)!, result.GetValue(k), result.GetValue(budget), CommonOptions.ParseFilter(result.GetValue(filter)),
                json ? null : token =>
                {
                    streamed = true;
                    Console.Out.Write(token);
                    Console.Out.Flush();
                },
                cancellation);
            if (json)
            {
                JsonOutput.Write(answer);
                return 0;
            }

            if (streamed)
            {
                // The streamed text is what the model said; show the checked version if citations had to be repaired.
                AnsiConsole.WriteLine();
                if (answer.Flags.InvalidCitations > 0 || answer.Flags.Abstained)
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
                AnsiConsole.MarkupLineInterpolated($"[bold][[{citation.Label}]][/] {citation.DocumentId} [grey]({citation.Source}:{citation.Start}-{citation.End})[/]");
                AnsiConsole.MarkupLineInterpolated($"    [italic]\"{citation.Quote}\"[/]");
            }

            var flags = answer.Flags;
            var source = flags.Degraded ? $"degraded: {flags.Note}" : flags.Extractive ? "extractive answer (no LLM configured)" : $"{answer.Model}, prompt {answer.PromptVersion}, {answer.TokensIn} in / {answer.TokensOut} out tokens, ~${answer.EstimatedCost:0.0000}";
            AnsiConsole.MarkupLineInterpolated(
                $"[grey]{source}{(flags.Abstained ? "; abstained: the sources do not answer this" : "")}{(flags.InvalidCitations > 0 ? $"; {flags.InvalidCitations} invalid citation(s) removed" : "")}{(flags.UncitedSentences > 0 ? $"; {flags.UncitedSentences} uncited sentence(s)" : "")}; {answer.TimingsMs.Values.Sum():0.0} ms[/]");
            return 0;
        });
        return command;
    }
}
