using System.Numerics.Tensors;
using System.Text.RegularExpressions;
using Sift.Core.Stages;
using Sift.Evaluation.Answers;
using Sift.Evaluation.Judging;
using Sift.Generation.Llm;
using Sift.Models.Static;
using Sift.Tests.Support;

namespace Sift.Tests.Evaluation;

/// <summary>
/// The judged metrics (RAGAS faithfulness, answer relevancy, context precision/recall; ALCE citation support) through
/// Sift's real OpenAI-compatible client against a loopback judge with scripted verdicts, checked against the
/// formulas worked by hand.
/// </summary>
public sealed partial class JudgeTests : IAsyncDisposable
{
    private readonly LoopbackChatServer _server = new();
    private readonly TempFolder _folder = new();
    private readonly ScriptedJudge _script;

    public JudgeTests() => _script = new ScriptedJudge(_server);

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _folder.Dispose();
    }

    private LlmJudge Judge(int repeats = 1, VerdictCache? cache = null, string model = "judge-1") =>
        new(new LlmEndpoint(LlmProvider.OpenAiCompatible, _server.BaseUrl, model, null, TimeSpan.FromSeconds(20), 0).CreateChatClient(), model, repeats, cache, 1m, 2m);

    private static JudgedMetrics Metrics(LlmJudge judge) => new(judge, StaticWordEmbedder.Default);

    private static JudgedAnswer Answer(string answer = "BM25 ranks documents. It uses term frequency. It was invented in 2020.", string? reference = null, IReadOnlyList<CitedSentence>? sentences = null) =>
        new("How does BM25 rank documents?", answer, false, ["BM25 ranks documents by term frequency and document length.", "Unrelated text about cooking."], reference, sentences ?? []);

    /// <summary>Verdicts for the numbered items of a block of the rendered prompt, flag i from <paramref name="flags"/>.</summary>
    private static string Verdicts(string user, string block, string index, string flag, Func<int, bool> flags)
    {
        var inside = Regex.Match(user, $"<{block}>(.*)</{block}>", RegexOptions.Singleline).Groups[1].Value;
        var count = NumberedItem().Matches(inside).Count;
        var items = Enumerable.Range(1, count).Select(i => $"{{\"{index}\": {i}, \"{flag}\": {(flags(i) ? "true" : "false")}, \"reason\": \"scripted\"}}");
        return $"{{\"verdicts\": [{string.Join(", ", items)}]}}";
    }

    [GeneratedRegex(@"(?m)^\[\d+\] ")]
    private static partial Regex NumberedItem();

    [Fact]
    public async Task FaithfulnessIsSupportedStatementsOverStatements()
    {
        string? supportPrompt = null;
        _script.On(Rubrics.Claims, """{"statements": ["BM25 ranks documents.", "BM25 uses term frequency.", "BM25 was invented in 2020."]}""")
            .On(Rubrics.Support, (user, _) =>
            {
                supportPrompt = user;
                return Verdicts(user, "statements", "statement", "supported", i => i != 3);
            });

        var judge = Judge();
        var scores = await Metrics(judge).ScoreAsync(Answer(), TestContext.Current.CancellationToken);

        Assert.Equal(2.0 / 3, Assert.Single(scores[JudgedMetrics.Faithfulness]), 1e-12);
        Assert.Contains("[3] BM25 was invented in 2020.", supportPrompt, StringComparison.Ordinal);
        Assert.Contains("[1] BM25 ranks documents by term frequency", supportPrompt, StringComparison.Ordinal);
        Assert.False(scores.ContainsKey(JudgedMetrics.ContextPrecision), "no reference: judged context metrics are not computed");
    }

    [Fact]
    public async Task AnAnthropicJudgeGivesTheSameVerdicts()
    {
        _script.On(Rubrics.Claims, """{"statements": ["BM25 ranks documents.", "BM25 was invented in 2020."]}""")
            .On(Rubrics.Support, (user, _) => Verdicts(user, "statements", "statement", "supported", i => i == 1))
            .On(Rubrics.AnswerQuestions, """{"questions": ["How does BM25 rank documents?"], "noncommittal": false}""");
        var client = new LlmEndpoint(LlmProvider.Anthropic, _server.Root, "claude-judge", "key", TimeSpan.FromSeconds(20), 0).CreateChatClient();
        var judge = new LlmJudge(client, "claude-judge");

        var scores = await Metrics(judge).ScoreAsync(Answer(), TestContext.Current.CancellationToken);

        Assert.Equal(0.5, Assert.Single(scores[JudgedMetrics.Faithfulness]), 1e-12);
        Assert.Equal(1.0, Assert.Single(scores[JudgedMetrics.AnswerRelevancy]), 1e-6);
        Assert.Equal(3, judge.Usage.Calls);
        Assert.True(judge.Usage.TokensIn > 0);
        Assert.All(_server.Requests, r => Assert.Contains("\"system\"", r, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnswerRelevancyIsMeanCosineToGeneratedQuestionsAndZeroWhenNoncommittal()
    {
        string[] generated = ["How does BM25 rank documents?", "What does BM25 use to score?", "Who invented cooking?"];
        _script.On(Rubrics.AnswerQuestions, (_, asked) => asked == 1
            ? $$"""{"questions": ["{{generated[0]}}", "{{generated[1]}}", "{{generated[2]}}"], "noncommittal": false}"""
            : """{"questions": ["What is BM25?"], "noncommittal": true}""");
        _script.On(Rubrics.Claims, """{"statements": []}""");

        var scores = await Metrics(Judge()).ScoreAsync(Answer(), TestContext.Current.CancellationToken);

        var vectors = await StaticWordEmbedder.Default.EmbedAsync(["How does BM25 rank documents?", .. generated], Embedders.ForQueries, TestContext.Current.CancellationToken);
        var expected = vectors.Skip(1).Average(v => (double)TensorPrimitives.CosineSimilarity(vectors[0], v));
        Assert.Equal(expected, Assert.Single(scores[JudgedMetrics.AnswerRelevancy]), 1e-6);
        Assert.True(expected is > 0.2 and < 0.9, $"questions unlike the user's must pull relevancy below 1 (got {expected})");
        Assert.False(scores.ContainsKey(JudgedMetrics.Faithfulness), "an answer with no statements has no faithfulness (RAGAS: undefined)");

        var dodged = await Metrics(Judge()).ScoreAsync(Answer("It depends."), TestContext.Current.CancellationToken);
        Assert.Equal(0, Assert.Single(dodged[JudgedMetrics.AnswerRelevancy]));
    }

    [Fact]
    public async Task JudgedContextPrecisionAndRecallFollowRagas()
    {
        // Three passages judged useful, not useful, useful: (1/1 + 2/3) / 2 (the RAGAS worked example).
        _script.On(Rubrics.ContextUsefulness, (user, _) => Verdicts(user, "passages", "passage", "useful", i => i != 2))
            .On(Rubrics.Support, (user, _) => Verdicts(user, "statements", "statement", "supported", i => i == 1))
            .On(Rubrics.Claims, """{"statements": []}""")
            .On(Rubrics.AnswerQuestions, """{"questions": ["q"], "noncommittal": false}""");
        var input = Answer(reference: "BM25 ranks by term frequency. It was designed at City University.") with
        {
            Contexts = ["BM25 ranks documents by term frequency.", "Cooking pasta.", "BM25 normalises by length."],
        };

        var scores = await Metrics(Judge()).ScoreAsync(input, TestContext.Current.CancellationToken);

        Assert.Equal((1.0 + (2.0 / 3)) / 2, Assert.Single(scores[JudgedMetrics.ContextPrecision]), 1e-12);
        Assert.Equal(0.5, Assert.Single(scores[JudgedMetrics.ContextRecall]), 1e-12);
        Assert.Equal(0.5, AnswerMetrics.RankWeightedPrecision([false, true, false, false]), 1e-12);
    }

    [Fact]
    public async Task CitationSupportCountsPairsAndSentences()
    {
        // s1 cites A (supports it); s2 cites A (does not) and B (supports it); s3 cites nothing.
        const string a = "Passage A about BM25.", b = "Passage B about fusion.";
        _script.On(Rubrics.Support, (user, _) => user.Contains(a, StringComparison.Ordinal)
                ? Verdicts(user, "statements", "statement", "supported", i => i == 1)
                : Verdicts(user, "statements", "statement", "supported", _ => true))
            .On(Rubrics.Claims, """{"statements": []}""")
            .On(Rubrics.AnswerQuestions, """{"questions": ["q"], "noncommittal": false}""");
        var input = Answer(sentences: [new("BM25 ranks. [1]", [a]), new("Fusion merges. [1][2]", [a, b]), new("Uncited claim.", [])]);

        var scores = await Metrics(Judge()).ScoreAsync(input, TestContext.Current.CancellationToken);

        Assert.Equal(2.0 / 3, Assert.Single(scores[JudgedMetrics.CitationPrecision]), 1e-12);
        Assert.Equal(2.0 / 3, Assert.Single(scores[JudgedMetrics.CitationRecall]), 1e-12);
    }

    [Fact]
    public async Task AnInvalidVerdictIsRetriedOnceThenLeftOutNeverGuessed()
    {
        _script.On(Rubrics.Claims, (_, asked) => asked == 1 ? "Sure! Here are the claims: none" : """{"statements": ["One claim."]}""")
            .On(Rubrics.Support, """{"verdicts": [{"statement": 1, "supported": "yes"}]}""")
            .On(Rubrics.AnswerQuestions, """```json\n{"questions": ["How does BM25 rank documents?"], "noncommittal": false}\n```""");

        var judge = Judge();
        var scores = await Metrics(judge).ScoreAsync(Answer(), TestContext.Current.CancellationToken);

        Assert.False(scores.ContainsKey(JudgedMetrics.Faithfulness));
        Assert.True(scores.ContainsKey(JudgedMetrics.AnswerRelevancy), "a fenced JSON reply is still read");
        Assert.Equal(2, _script.Asked(Rubrics.Claims));
        Assert.Equal(2, _script.Asked(Rubrics.Support));
        var usage = judge.Usage;
        Assert.Equal(1, usage.Invalid);
        Assert.Contains(usage.Problems, p => p.StartsWith("support:", StringComparison.Ordinal) && p.Contains("supported", StringComparison.Ordinal));
        Assert.Contains("does not match the schema", _server.Requests.Last(r => r.Contains("strict fact checker", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AVerdictThatSkipsAnItemIsRejected()
    {
        _script.On(Rubrics.Claims, """{"statements": ["One.", "Two."]}""")
            .On(Rubrics.Support, """{"verdicts": [{"statement": 1, "supported": true}]}""")
            .On(Rubrics.AnswerQuestions, """{"questions": ["q"], "noncommittal": false}""");

        var judge = Judge();
        var scores = await Metrics(judge).ScoreAsync(Answer(), TestContext.Current.CancellationToken);

        Assert.False(scores.ContainsKey(JudgedMetrics.Faithfulness));
        Assert.Contains(judge.Usage.Problems, p => p.Contains("judged 1 of 2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerdictsAreCachedByModelRubricVersionAndInputsAndCostIsCounted()
    {
        _script.On(Rubrics.Claims, """{"statements": ["One."]}""")
            .On(Rubrics.Support, (user, _) => Verdicts(user, "statements", "statement", "supported", _ => true))
            .On(Rubrics.AnswerQuestions, """{"questions": ["q"], "noncommittal": false}""");
        using var cache = new VerdictCache(_folder.Combine("verdicts.db"));

        var first = Judge(cache: cache);
        await Metrics(first).ScoreAsync(Answer(), TestContext.Current.CancellationToken);
        var paid = first.Usage;
        Assert.Equal(3, paid.Calls);
        Assert.Equal(3 * LoopbackChatServer.PromptTokens, paid.TokensIn);
        Assert.Equal((paid.TokensIn * 1m / 1_000_000m) + (paid.TokensOut * 2m / 1_000_000m), paid.EstimatedCost);
        Assert.Contains(Rubrics.Support.Version, paid.Rubrics);

        var again = Judge(cache: cache);
        var cached = await Metrics(again).ScoreAsync(Answer(), TestContext.Current.CancellationToken);
        Assert.Equal((0, 3), (again.Usage.Calls, again.Usage.Cached));
        Assert.Equal(1.0, cached[JudgedMetrics.Faithfulness].Single());

        var otherInputs = Judge(cache: cache);
        await Metrics(otherInputs).ScoreAsync(Answer("A different answer."), TestContext.Current.CancellationToken);
        // New answer: claims and questions are asked again; the same statement against the same context is not.
        Assert.Equal((2, 1), (otherInputs.Usage.Calls, otherInputs.Usage.Cached));

        var otherModel = Judge(cache: cache, model: "judge-2");
        await Metrics(otherModel).ScoreAsync(Answer(), TestContext.Current.CancellationToken);
        Assert.Equal((3, 0), (otherModel.Usage.Calls, otherModel.Usage.Cached));
    }

    [Fact]
    public async Task RepeatsAreSeparateSamplesAndDisagreementIsKept()
    {
        _script.On(Rubrics.Claims, """{"statements": ["One.", "Two."]}""")
            .On(Rubrics.Support, (user, asked) => Verdicts(user, "statements", "statement", "supported", i => asked == 1 || i == 1))
            .On(Rubrics.AnswerQuestions, """{"questions": ["How does BM25 rank documents?"], "noncommittal": false}""");

        var scores = await Metrics(Judge(repeats: 2)).ScoreAsync(Answer(), TestContext.Current.CancellationToken);

        Assert.Equal([1.0, 0.5], scores[JudgedMetrics.Faithfulness]);
        Assert.Equal(2, scores[JudgedMetrics.AnswerRelevancy].Count);
        Assert.Throws<Core.SiftException>(() => Judge(repeats: 0));
    }

    [Fact]
    public void EveryShippedRubricParsesAndItsSchemaRejectsMalformedVerdicts()
    {
        Assert.Equal(["answer-questions", "claims", "context-usefulness", "support", "test-question"], Rubrics.List.Select(r => r.Id));
        Assert.All(Rubrics.List, r => Assert.Matches(@"^[a-z-]+@[0-9a-f]{12}$", r.Version));
        Assert.Empty(Rubrics.Support.Validate("""{"verdicts": [{"statement": 1, "supported": false, "reason": "not stated"}]}"""));
        Assert.NotEmpty(Rubrics.Support.Validate("""{"verdicts": [{"statement": 0, "supported": false}]}"""));
        Assert.NotEmpty(Rubrics.Support.Validate("""{"verdicts": [], "extra": 1}"""));
        Assert.NotEmpty(Rubrics.Claims.Validate("""{"claims": []}"""));
        Assert.NotEmpty(Rubrics.AnswerQuestions.Validate("""{"questions": [], "noncommittal": false}"""));
        Assert.Throws<Core.SiftException>(() => Rubrics.Claims.RenderUser(new Dictionary<string, string> { ["question"] = "q" }));
    }
}
