using System.Diagnostics;
using System.Text.Json;
using Sift.Composition;
using Sift.Core.Telemetry;
using Sift.Generation.Llm;
using Sift.Generation.Prompts;
using Sift.Generation.Steps;
using Sift.Retrieval;
using Sift.Tests.Support;

namespace Sift.Tests.Generation;

/// <summary>
/// Bounded multi-step answers against a scripted loopback model speaking the chat-completions protocol: a model that
/// refines its search once, and models that loop, flood, stall or babble, each stopped at a limit with the reason recorded.
/// </summary>
public sealed class MultiStepAnswerTests : IAsyncDisposable
{
    private const string PlannerMarker = "You plan the research";

    private readonly LoopbackChatServer _llm = new();
    private readonly TinyCorpus _corpus = new(
        ("founding.txt", "The Nordhavn observatory was founded by Ingrid Holm in 1911."),
        ("holm.txt", "Ingrid Holm was born in Bergen and studied astronomy in Uppsala."),
        ("telescope.txt", "The observatory's refractor telescope has a lens of 60 centimetres."));

    public async ValueTask DisposeAsync()
    {
        await _llm.DisposeAsync();
        _corpus.Dispose();
    }

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static bool IsPlanning(JsonElement request) =>
        request.GetProperty("messages")[0].GetProperty("content").GetString()!.StartsWith(PlannerMarker, StringComparison.Ordinal);

    private Task<Sift.Generation.AnswerRecord> AskAsync(string question, StepLimits limits)
    {
        var endpoint = new LlmEndpoint(LlmProvider.OpenAiCompatible, _llm.BaseUrl, "planner", null, TimeSpan.FromSeconds(10), 0, 1m, 2m);
        var options = new AnswerOptions(new LlmAnswerer(endpoint.CreateChatClient(), PromptLibrary.Get(PromptLibrary.DefaultId), endpoint.Model), endpoint);
        var retriever = RetrieverFactory.Create(_corpus.Collection, TinyCorpus.Analyzer, new RetrievalSettings("bm25"));
        return new SiftAnswering(TinyCorpus.Analyzer).AskInStepsAsync(retriever, options, question, 1, 3000, null, limits, null, Cancel);
    }

    [Fact]
    public async Task TheModelSearchesAgainForWhatIsMissingAndEveryStepIsRecordedAndTraced()
    {
        _llm.Respond = request => IsPlanning(request)
            ? request.GetProperty("messages")[1].GetProperty("content").GetString()!.Contains("Bergen", StringComparison.Ordinal) ? "ANSWER" : "SEARCH: where was Ingrid Holm born"
            : "The founder, Ingrid Holm, was born in Bergen [2].";
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == SiftTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity => { lock (spans) { spans.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);

        var record = await AskAsync("Where was the founder of the Nordhavn observatory born?", new StepLimits(3));

        Assert.Equal([("search", "where was Ingrid Holm born", 1), ("answer", null, 0)], record.Steps!.Select(s => (s.Action, s.Query, s.NewPassages)));
        Assert.Null(record.Flags.Stopped);
        var answerRequest = _llm.Requests.Single(r => !r.Contains(PlannerMarker, StringComparison.Ordinal));
        Assert.Contains("born in Bergen", answerRequest, StringComparison.Ordinal); // the passage the second search found reached the answer
        Assert.Contains(record.Citations, c => c.DocumentId == "docs/holm.txt");
        Assert.Equal(3 * LoopbackChatServer.PromptTokens, record.TokensIn); // two planning calls and the answer
        var steps = spans.Where(s => s.OperationName == "step").ToList();
        Assert.Equal(["search", "answer"], steps.Select(s => s.GetTagItem("sift.step.action")));
    }

    [Fact]
    public async Task AModelThatNeverStopsSearchingIsStoppedAtTheStepLimit()
    {
        _llm.Respond = request => IsPlanning(request) ? "SEARCH: more about the observatory" : "It was founded in 1911 [1].";

        var record = await AskAsync("When was the Nordhavn observatory founded?", new StepLimits(3));

        Assert.Equal(3, record.Steps!.Count);
        Assert.Equal("step limit reached (3)", record.Flags.Stopped);
        Assert.Equal(3, _llm.Requests.Count(r => r.Contains(PlannerMarker, StringComparison.Ordinal)));
        Assert.Equal("It was founded in 1911 [1].", record.Answer); // still answered, from what was found
    }

    [Fact]
    public async Task AModelAskingForAThousandSearchesIsStoppedAtTheTokenLimit()
    {
        _llm.Respond = request => IsPlanning(request) ? "SEARCH: " + string.Join(" ", Enumerable.Range(0, 1000).Select(i => $"query{i}")) : "Founded in 1911 [1].";

        var record = await AskAsync("When was the Nordhavn observatory founded?", new StepLimits(StepLimits.HardCap, MaxTokens: 1000));

        Assert.StartsWith("token limit reached", record.Flags.Stopped, StringComparison.Ordinal);
        Assert.True(record.Steps!.Count < StepLimits.HardCap, $"{record.Steps.Count} steps");
        Assert.All(record.Steps, s => Assert.True(s.Query!.Length <= 300)); // a flood of words is cut to a query's length
    }

    [Fact]
    public async Task AStallingModelIsStoppedAtTheTimeLimitAndBabbleEndsTheSteps()
    {
        _llm.Respond = request =>
        {
            if (IsPlanning(request))
            {
                Thread.Sleep(TimeSpan.FromSeconds(3));
            }

            return IsPlanning(request) ? "ANSWER" : "Founded in 1911 [1].";
        };
        var stalled = await AskAsync("When was the Nordhavn observatory founded?", new StepLimits(5, MaxTime: TimeSpan.FromSeconds(1)));
        Assert.Equal("time limit reached (1 s)", stalled.Flags.Stopped);
        Assert.Equal("Founded in 1911 [1].", stalled.Answer);

        _llm.Respond = request => IsPlanning(request) ? "I think the answer is 1911." : "Founded in 1911 [1].";
        var babbled = await AskAsync("When was the Nordhavn observatory founded?", new StepLimits(5));
        Assert.Equal("invalid", Assert.Single(babbled.Steps!).Action);
        Assert.Equal("the model's step reply was neither SEARCH: nor ANSWER", babbled.Flags.Stopped);
    }

    [Fact]
    public async Task AFailingModelEndsThePlanningAndTheAnswerFallsBack()
    {
        _llm.Failures.Enqueue((500, null)); // the planning call
        _llm.Failures.Enqueue((500, null)); // the answer's call

        var record = await AskAsync("When was the Nordhavn observatory founded?", new StepLimits(3));

        Assert.StartsWith("the model failed while planning", record.Flags.Stopped, StringComparison.Ordinal);
        Assert.Empty(record.Steps!);
        Assert.True(record.Flags.Degraded && record.Flags.Extractive);
        Assert.Contains("1911", record.Answer, StringComparison.Ordinal);
    }

    [Fact]
    public void LimitsAreCheckedWhereTheyAreGiven()
    {
        Assert.Equal("steps must be between 1 and 10 (got 11)", Assert.Throws<Sift.Core.InvalidOptionException>(() => StepLimits.Create(11)).Message);
        Assert.Equal("step tokens must be at least 100 (got 5)", Assert.Throws<Sift.Core.InvalidOptionException>(() => StepLimits.Create(2, tokens: 5)).Message);
    }
}
