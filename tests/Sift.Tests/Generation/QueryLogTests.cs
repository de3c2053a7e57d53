using Sift.Generation;
using Sift.Generation.Logging;
using Sift.Tests.Support;

namespace Sift.Tests.Generation;

/// <summary>
/// The query log writes in the background: what a caller recorded is visible to the next read, feedback on an answer
/// just recorded finds it, nothing is lost when more is recorded than the queue holds, and closing writes the rest.
/// </summary>
public sealed class QueryLogTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void FeedbackOnAnAnswerJustRecordedFindsIt()
    {
        using var log = new QueryLog(_folder.Path);
        var id = log.RecordAnswer(Answer("what is the refund window?"), "docs", generation: 3, caller: "key-1");

        log.AddFeedback(id, -1, "wrong window", caller: "key-1");

        var answer = Assert.Single(log.Read());
        Assert.Equal(id, answer.Id);
        Assert.Equal(3, answer.Generation);
        Assert.Equal(-1, Assert.Single(answer.Feedback).Rating);
    }

    [Theory]
    [InlineData(QueryLog.DefaultQueueCapacity)]
    [InlineData(1)] // almost every recorder finds the queue full and writes inline, racing the background writer
    public async Task EntriesRecordedConcurrentlyBeyondTheQueueCapacityAreAllWrittenOnce(int queueCapacity)
    {
        const int Threads = 4;
        const int PerThread = 5_000;
        using var log = new QueryLog(_folder.Path, queueCapacity);

        var ids = await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
            Enumerable.Range(0, PerThread).Select(i => log.RecordSearch($"query {t}-{i}", "docs", 1, ["a.txt"], latencyMs: 1.5)).ToList())));

        Assert.Equal(Threads * PerThread, log.Count());
        Assert.Equal(Threads * PerThread, ids.SelectMany(i => i).Distinct().Count());
    }

    [Fact]
    public void ClosingTheLogWritesWhatIsStillQueued()
    {
        using (var log = new QueryLog(_folder.Path))
        {
            for (var i = 0; i < 1_000; i++)
            {
                log.RecordAnswer(Answer($"question {i}?"), "docs", 1);
            }
        }

        using var reopened = new QueryLog(_folder.Path);
        Assert.Equal(1_000, reopened.Read().Count);
    }

    private static AnswerRecord Answer(string question) =>
        new(question, "Refunds within 30 days [1].", [], [], new Dictionary<string, double> { ["retrieve"] = 2 }, null, "extractive", 0, 0, 0m, new AnswerFlags(false, false, true, 0, 0));
}
