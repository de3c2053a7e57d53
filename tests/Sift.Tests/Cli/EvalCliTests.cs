using System.Text.Json;
using System.Text.RegularExpressions;
using Sift.Evaluation.Answers;
using Sift.Evaluation.Judging;
using Sift.Tests.Support;

namespace Sift.Tests.Cli;

/// <summary>
/// The evaluation workflow through the real CLI: judged answer metrics against a loopback judge, reports rendered
/// and opened in headless Chromium, test sets drafted by an LLM and mined from logged answers and feedback.
/// </summary>
public sealed partial class EvalCliTests : IAsyncDisposable
{
    private readonly TempFolder _folder = new();
    private readonly LoopbackChatServer _server = new();

    private string Store => _folder.Combine("store");

    private static string DemoQa => Path.Combine(Paths.RepositoryRoot, "samples", "demo", "qa.jsonl");

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _folder.Dispose();
    }

    private Task<ProcessResult> Sift(params string[] args) => SiftProcess.RunAsync(Store, args);

    [GeneratedRegex(@"(?m)^\[\d+\] ")]
    private static partial Regex NumberedItem();

    /// <summary>A judge that says every other statement is supported, every passage is useful, and the answer is on topic.</summary>
    private ScriptedJudge HalfSupportingJudge() =>
        new ScriptedJudge(_server)
            .On(Rubrics.Claims, """{"statements": ["First claim.", "Second claim."]}""")
            .On(Rubrics.Support, (user, _) =>
            {
                var count = NumberedItem().Matches(Regex.Match(user, "<statements>(.*)</statements>", RegexOptions.Singleline).Groups[1].Value).Count;
                return JsonSerializer.Serialize(new { verdicts = Enumerable.Range(1, count).Select(i => new { statement = i, supported = i % 2 == 1, reason = "scripted" }) });
            })
            .On(Rubrics.ContextUsefulness, (user, _) =>
            {
                var count = NumberedItem().Matches(Regex.Match(user, "<passages>(.*)</passages>", RegexOptions.Singleline).Groups[1].Value).Count;
                return JsonSerializer.Serialize(new { verdicts = Enumerable.Range(1, count).Select(i => new { passage = i, useful = true }) });
            })
            .On(Rubrics.AnswerQuestions, """{"questions": ["What does the constant b control in BM25?"], "noncommittal": false}""");

    [Fact]
    public async Task EvalAnswersWithAJudgeReportsJudgedMetricsCostAgreementAndCachesVerdicts()
    {
        Assert.Equal(0, (await Sift("demo", "--json")).ExitCode);
        var judge = HalfSupportingJudge();
        string[] args =
        [
            "eval", "answers", "--dataset", DemoQa, "-c", "demo", "--judge", "openai-compatible", "--judge-base-url", _server.BaseUrl.AbsoluteUri,
            "--judge-model", "judge-test", "--judge-repeats", "2", "--out", _folder.Combine("judged.json"),
            "--html", _folder.Combine("judged.html"), "--md", _folder.Combine("judged.md"),
        ];

        var first = await Sift(args);
        Assert.True(first.ExitCode == 0, first.Stderr);
        int calls;
        using (var report = JsonDocument.Parse(File.ReadAllText(_folder.Combine("judged.json"))))
        {
            var root = report.RootElement;
            var metrics = root.GetProperty("metrics");
            Assert.Equal(0, root.GetProperty("notComputed").GetArrayLength());
            Assert.Equal("faithfulness", root.GetProperty("headline").GetString());
            // Two statements per answer, the first supported: 1/2 for each of the five answered questions.
            Assert.Equal(0.5, metrics.GetProperty("faithfulness").GetDouble(), 1e-12);
            Assert.Equal(1.0, metrics.GetProperty("judged_context_precision").GetDouble(), 1e-12);
            Assert.True(metrics.GetProperty("answer_relevancy").GetDouble() is > 0 and <= 1);
            Assert.True(metrics.TryGetProperty("judged_citation_precision", out _));
            var usage = root.GetProperty("judge").GetProperty("usage");
            calls = usage.GetProperty("calls").GetInt32();
            Assert.True(calls > 0);
            Assert.Equal(2, usage.GetProperty("repeats").GetInt32());
            Assert.Equal(calls * LoopbackChatServer.PromptTokens, usage.GetProperty("tokensIn").GetInt64());
            Assert.Contains(Rubrics.Claims.Version, usage.GetProperty("rubrics").EnumerateArray().Select(r => r.GetString()));
            var agreement = root.GetProperty("judge").GetProperty("agreement").GetProperty("faithfulness");
            Assert.Equal(5, agreement.GetProperty("questions").GetInt32());
            Assert.Equal(1.0, agreement.GetProperty("unanimous").GetDouble());
        }

        Assert.Contains("| faithfulness | 0.5000 |", File.ReadAllText(_folder.Combine("judged.md")), StringComparison.Ordinal);

        var again = await Sift(args);
        Assert.True(again.ExitCode == 0, again.Stderr);
        using (var report = JsonDocument.Parse(File.ReadAllText(_folder.Combine("judged.json"))))
        {
            var usage = report.RootElement.GetProperty("judge").GetProperty("usage");
            Assert.Equal(0, usage.GetProperty("calls").GetInt32());
            Assert.Equal(calls, usage.GetProperty("cached").GetInt32());
        }

        Assert.Equal(calls, _server.Requests.Count);

        // The judge gate: the same verdicts again cannot be a significant drop.
        var gate = await Sift([.. args[..^6], "--baseline", _folder.Combine("judged.json"), "--max-drop", "faithfulness=0.02"]);
        Assert.True(gate.ExitCode == 0, gate.Stderr);
    }

    [Fact]
    public async Task TheHtmlReportRendersInHeadlessChromium()
    {
        Assert.Equal(0, (await Sift("demo", "--json")).ExitCode);
        var run = await Sift("eval", "answers", "--dataset", DemoQa, "-c", "demo", "--out", _folder.Combine("answers.json"));
        Assert.True(run.ExitCode == 0, run.Stderr);
        var render = await Sift("eval", "report", _folder.Combine("answers.json"), "--html", _folder.Combine("report.html"), "--md", _folder.Combine("report.md"));
        Assert.True(render.ExitCode == 0, render.Stderr);

        var dom = await HeadlessChromium.DumpDomAsync(_folder.Combine("report.html"));
        using var report = JsonDocument.Parse(File.ReadAllText(_folder.Combine("answers.json")));
        var metrics = report.RootElement.GetProperty("intervals").EnumerateObject().Count();
        var slices = report.RootElement.GetProperty("slices").EnumerateObject().Count(s => s.Value.GetProperty("metrics").TryGetProperty("token_f1", out _));
        Assert.Equal(metrics + slices, Regex.Matches(dom, "<rect class=\"bar\"").Count);
        Assert.Equal(metrics, Regex.Matches(dom, "<svg class=\"histogram\"").Count);
        Assert.Equal(6, Regex.Matches(dom, "<details class=\"case\"").Count);
        Assert.Contains("What does reciprocal rank fusion use to merge rankings?", dom, StringComparison.Ordinal);
        Assert.Contains("corpus/rank-fusion.txt", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", File.ReadAllText(_folder.Combine("report.html")), StringComparison.OrdinalIgnoreCase);

        await HeadlessChromium.ScreenshotAsync(_folder.Combine("report.html"), _folder.Combine("report.png"));
        var png = File.ReadAllBytes(_folder.Combine("report.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        Assert.True(png.Length > 20_000, $"a rendered report is more than a blank page ({png.Length} bytes)");

        var markdown = File.ReadAllText(_folder.Combine("report.md"));
        Assert.Contains("## The 6 worst cases by token_f1", markdown, StringComparison.Ordinal);
        Assert.Contains("| length:8-15 |", markdown, StringComparison.Ordinal);

        File.WriteAllText(_folder.Combine("broken.json"), "{\"metrics\": 1}");
        var broken = await Sift("eval", "report", _folder.Combine("broken.json"), "--md", _folder.Combine("x.md"));
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("is not an evaluation report", broken.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RetrievalReportsCarrySlicesWorstCasesAndFusionSettings()
    {
        _folder.File("ds/corpus.jsonl", "{\"_id\":\"d1\",\"title\":\"Cats\",\"text\":\"cats purr when content\"}\n{\"_id\":\"d2\",\"title\":\"Dogs\",\"text\":\"dogs bark at cats\"}\n");
        _folder.File("ds/queries.jsonl", "{\"_id\":\"q1\",\"text\":\"purring cat\"}\n{\"_id\":\"q2\",\"text\":\"why do dogs bark at the mail carrier every single morning\"}\n");
        _folder.File("ds/qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n");

        var eval = await Sift("eval", "retrieval", "--dataset", _folder.Combine("ds"), "--mode", "hybrid", "--out", _folder.Combine("r.json"), "--md", _folder.Combine("r.md"));
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(_folder.Combine("r.json")));
        var root = report.RootElement;
        Assert.Equal("retrieval", root.GetProperty("kind").GetString());
        Assert.Equal("rrf k=60, weights bm25 0.5 / dense 0.5, pool 100", root.GetProperty("provenance").GetProperty("fusion").GetString());
        Assert.Equal("none", root.GetProperty("provenance").GetProperty("reranker").GetString());
        Assert.Equal(["length:1-3", "length:8-15"], root.GetProperty("slices").EnumerateObject().Select(s => s.Name));
        var worst = root.GetProperty("worstCases");
        Assert.Equal(2, worst.GetArrayLength());
        var retrieved = worst[0].GetProperty("retrieved");
        Assert.Contains(retrieved.EnumerateArray(), r => r.GetProperty("relevant").GetBoolean() && r.GetProperty("text").GetString()!.Length > 0);
        Assert.Contains("## The 2 worst cases by ndcg@10", File.ReadAllText(_folder.Combine("r.md")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GenerateRefusesWithoutAnLlmAndDraftsReviewableQuestionsWithOne()
    {
        Assert.Equal(0, (await Sift("demo", "--json")).ExitCode);
        var refused = await Sift("eval", "generate", "-c", "demo", "--out", _folder.Combine("drafts.jsonl"));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("needs an LLM", refused.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_folder.Combine("drafts.jsonl")));

        var script = new ScriptedJudge(_server).On(Rubrics.TestQuestion, (user, asked) => asked == 2
            ? """{"question": "", "answer": "", "skip": true}"""
            : JsonSerializer.Serialize(new { question = $"Drafted question {asked}?", answer = "A drafted answer.", skip = false }));
        var drafted = await Sift("eval", "generate", "-c", "demo", "-n", "3", "--out", _folder.Combine("drafts.jsonl"), "--llm", "openai-compatible", "--base-url", _server.BaseUrl.AbsoluteUri, "--model", "writer");
        Assert.True(drafted.ExitCode == 0, drafted.Stderr);
        Assert.Equal(4, script.Asked(Rubrics.TestQuestion));

        var items = QaDataset.Load(_folder.Combine("drafts.jsonl"));
        Assert.Equal(["gen-001", "gen-002", "gen-003"], items.Select(i => i.Id));
        Assert.All(items, i => Assert.Single(i.RelevantDocumentIds));
        Assert.All(items, i => Assert.StartsWith("corpus/", i.RelevantDocumentIds[0], StringComparison.Ordinal));
        Assert.All(File.ReadAllLines(_folder.Combine("drafts.jsonl")), l => Assert.Contains("\"review\":\"pending\"", l, StringComparison.Ordinal));
        var prompt = _server.Requests[0];
        Assert.Contains(items[0].ReferenceContexts[0][..40], JsonDocument.Parse(prompt).RootElement.GetProperty("messages")[1].GetProperty("content").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AskLogsAnswersFeedbackIsRecordedAndMineTurnsBadOnesIntoCandidates()
    {
        Assert.Equal(0, (await Sift("demo", "--json")).ExitCode);
        var noLog = await Sift("eval", "mine", "--out", _folder.Combine("none.jsonl"));
        Assert.Equal(1, noLog.ExitCode);
        Assert.Contains("no answers have been logged", noLog.Stderr, StringComparison.Ordinal);

        async Task<string> Ask(string question)
        {
            var ask = await Sift("ask", question, "-c", "demo", "--json");
            Assert.True(ask.ExitCode == 0, ask.Stderr);
            using var record = JsonDocument.Parse(ask.Stdout);
            return record.RootElement.GetProperty("id").GetString()!;
        }

        var good = await Ask("what does a cross-encoder read?");
        var disliked = await Ask("What does the constant b control in BM25?");
        var abstained = await Ask("what is the capital of France?");
        Assert.Equal(0, (await Sift("ask", "what does a cross-encoder read?", "-c", "demo", "--no-log")).ExitCode);

        Assert.Equal(0, (await Sift("feedback", good, "--up")).ExitCode);
        Assert.Equal(0, (await Sift("feedback", disliked, "--down", "--comment", "it should mention document length")).ExitCode);
        var unknown = await Sift("feedback", "no-such-answer", "--down");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no logged answer has id", unknown.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, (await Sift("feedback", good)).ExitCode);

        var mine = await Sift("eval", "mine", "--out", _folder.Combine("candidates.jsonl"));
        Assert.True(mine.ExitCode == 0, mine.Stderr);
        Assert.Contains("from 3 logged answer(s)", mine.Stdout, StringComparison.Ordinal);
        var lines = File.ReadAllLines(_folder.Combine("candidates.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([disliked, abstained], lines.Select(l => l.GetProperty("answer_id").GetString()));
        Assert.Contains("negative-feedback", lines[0].GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("it should mention document length", lines[0].GetProperty("feedback")[0].GetString());
        Assert.Contains("abstained", lines[1].GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(2, QaDataset.Load(_folder.Combine("candidates.jsonl")).Count);
    }
}
