using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sift.Composition;
using Sift.Core;
using Sift.Core.Storage;
using Sift.Evaluation.Judging;
using Sift.Generation.Logging;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary>
/// Test sets that grow: <c>sift eval generate</c> drafts questions from a collection with the configured LLM, and
/// <c>sift eval mine</c> turns answers that went wrong in use into candidates. Both write QA JSONL marked
/// <c>"review": "pending"</c>: a person checks each line before it joins a test set.
/// </summary>
internal static class EvalDatasetCommands
{
    private static readonly JsonSerializerOptions Line = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Generate()
    {
        var collection = CommonOptions.Collection();
        var count = new Option<int>("--count", "-n") { Description = "How many questions to draft", DefaultValueFactory = _ => 20 };
        var output = new Option<string>("--out") { Description = "QA JSONL file to write", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed for sampling chunks", DefaultValueFactory = _ => 1 };
        var minWords = new Option<int>("--min-words") { Description = "Skip chunks shorter than this many words", DefaultValueFactory = _ => 25 };
        var llm = new LlmOptions();
        var command = new Command("generate", "Draft a QA test set from a collection with the configured LLM, for human review")
        {
            collection, count, output, seed, minWords,
        };
        llm.AddTo(command);
        command.SetAction(async (result, cancellation) =>
        {
            var (_, endpoint) = llm.Build(result);
            if (endpoint is null)
            {
                throw new SiftException("eval generate needs an LLM to write questions: pass --llm openai-compatible|anthropic (or set SIFT_LLM); nothing was written");
            }

            var wanted = result.GetValue(count);
            if (wanted < 1)
            {
                throw new SiftException($"--count must be at least 1 (got {wanted})");
            }

            using var reading = CommonOptions.OpenForReading(result, result.GetValue(collection)!);
            var target = reading.Target;
            var ids = target.ChunkIds().ToArray();
            if (ids.Length == 0)
            {
                throw new SiftException($"collection '{target.Name}' has no chunks to draft questions from");
            }

            new Random(result.GetValue(seed)).Shuffle(ids);
            var writer = new LlmJudge(endpoint.CreateChatClient(), endpoint.Model);
            var path = result.GetValue(output)!;
            var lines = new List<string>();
            var skipped = 0;
            // Read candidates in batches until enough questions are drafted or the chunks run out.
            foreach (var batch in ids.Chunk(Math.Max(wanted, 16)))
            {
                foreach (var chunk in target.GetChunks(batch))
                {
                    if (lines.Count == wanted)
                    {
                        break;
                    }

                    if (chunk.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length < result.GetValue(minWords))
                    {
                        continue;
                    }

                    var slots = new Dictionary<string, string> { ["source"] = chunk.DocumentId, ["passage"] = chunk.Text };
                    var draft = await writer.JudgeAsync(Rubrics.TestQuestion, slots, 0, cancellation);
                    if (draft is not { } d || d.GetProperty("skip").GetBoolean() || d.GetProperty("question").GetString()!.Trim().Length == 0)
                    {
                        skipped++;
                        continue;
                    }

                    lines.Add(JsonSerializer.Serialize(new Dictionary<string, object>
                    {
                        ["id"] = $"gen-{lines.Count + 1:000}",
                        ["question"] = d.GetProperty("question").GetString()!.Trim(),
                        ["reference_answer"] = d.GetProperty("answer").GetString()!.Trim(),
                        ["relevant_doc_ids"] = new[] { chunk.DocumentId },
                        ["reference_contexts"] = new[] { chunk.Text },
                        ["tags"] = new[] { "generated" },
                        ["review"] = "pending",
                        ["generated_by"] = $"{endpoint.Model} {Rubrics.TestQuestion.Version}",
                    }, Line));
                }

                if (lines.Count == wanted)
                {
                    break;
                }
            }

            WriteLines(path, lines);
            var usage = writer.Usage;
            AnsiConsole.MarkupLineInterpolated(
                $"drafted {lines.Count} question(s) into {path} for review ({skipped} chunk(s) skipped or invalid; {usage.TokensIn} in / {usage.TokensOut} out tokens)");
            return 0;
        });
        return command;
    }

    public static Command Mine()
    {
        var output = new Option<string>("--out") { Description = "QA JSONL file of candidate test cases", Required = true };
        var sinceDays = new Option<int?>("--since-days") { Description = "Only answers from the last N days" };
        var collection = CommonOptions.Collection(required: false, "Only answers from this collection");
        var command = new Command("mine", "Turn answers with negative feedback or warning flags (abstained, uncited, degraded) into candidate test cases")
        {
            output, sinceDays, collection,
        };
        command.SetAction(result =>
        {
            var root = CommonOptions.HomeFolder(result);
            var location = Core.Storage.StoreLocation.Resolve(result.GetValue(CommonOptions.Store));
            if (!location.IsPostgres && !File.Exists(Path.Combine(root, QueryLog.FileName)))
            {
                throw new SiftException($"no answers have been logged in {root} yet (sift ask and sift serve log them)");
            }

            using var log = SiftStores.OpenQueryLog(location, root);
            var since = result.GetValue(sinceDays) is { } days ? DateTimeOffset.UtcNow.AddDays(-days) : (DateTimeOffset?)null;
            var only = result.GetValue(collection);
            var lines = new List<string>();
            var redacted = 0;
            var answers = log.Read(since).Where(a => only is null || a.Collection == only).ToList();
            foreach (var answer in answers)
            {
                var reasons = Reasons(answer);
                if (reasons.Count == 0)
                {
                    continue;
                }

                if (answer.Question is null)
                {
                    redacted++;
                    continue;
                }

                lines.Add(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["id"] = $"mined-{answer.Id}",
                    ["question"] = answer.Question,
                    ["tags"] = new[] { "mined" }.Concat(reasons),
                    ["review"] = "pending",
                    ["collection"] = answer.Collection,
                    ["answer_id"] = answer.Id,
                    ["previous_answer"] = answer.Answer,
                    ["retrieved_doc_ids"] = answer.Documents,
                    ["feedback"] = answer.Feedback.Where(f => f.Comment is not null).Select(f => f.Comment),
                }, Line));
            }

            WriteLines(result.GetValue(output)!, lines);
            AnsiConsole.MarkupLineInterpolated(
                $"{lines.Count} candidate(s) from {answers.Count} logged answer(s) written to {result.GetValue(output)}{(redacted > 0 ? $"; {redacted} flagged answer(s) skipped because their question was stored redacted" : "")}");
            return 0;
        });
        return command;
    }

    /// <summary>Why a logged answer deserves a test case; empty when it went well.</summary>
    public static List<string> Reasons(LoggedAnswer answer)
    {
        var reasons = new List<string>();
        if (answer.Feedback.Any(f => f.Rating < 0))
        {
            reasons.Add("negative-feedback");
        }

        if (answer.Flags.Abstained)
        {
            reasons.Add("abstained");
        }

        if (answer.Flags.UncitedSentences > 0 || answer.Flags.InvalidCitations > 0)
        {
            reasons.Add("uncited");
        }

        if (answer.Flags.Degraded)
        {
            reasons.Add("degraded");
        }

        return reasons;
    }

    private static void WriteLines(string path, IReadOnlyList<string> lines)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllLines(path, lines);
    }
}
