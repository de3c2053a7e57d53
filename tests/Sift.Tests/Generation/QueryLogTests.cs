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

    [Fact]
    public void BrowsingFiltersByCollectionCallerKindTextAndFlagNewestFirst()
    {
        using var log = new QueryLog(_folder.Path);
        var refund = log.RecordAnswer(Answer("what is the refund window?") with { Retrieved = [new RetrievedSource(1, "a", 2.5), new RetrievedSource(2, "b", 4.0)] }, "docs", 1, caller: "key-1");
        log.RecordSearch("100% cotton_shirts", "docs", 1, ["c"], 1.0, caller: "key-1", topScore: 3.25);
        log.RecordSearch("refund policy", "docs", 1, ["d"], 1.0, caller: "key-2");
        log.RecordSearch("refund policy", "secret", 1, ["e"], 1.0, caller: "key-1");
        log.RecordAnswer(Answer("nothing about this?") with { Flags = new AnswerFlags(true, false, true, 0, 0) }, "docs", 1, caller: "key-1");
        log.AddFeedback(refund, -1, "too vague", caller: "key-1");
        var since = DateTimeOffset.UtcNow.AddMinutes(-1);

        var mine = log.Browse(new LogFilter(["docs"], since, Caller: "key-1"));
        Assert.Equal(["nothing about this?", "100% cotton_shirts", "what is the refund window?"], mine.Select(e => e.Question));
        Assert.Equal(4.0, mine[2].TopScore); // the best of the answer's passages
        Assert.Equal(3.25, mine[1].TopScore);
        Assert.Equal("too vague", Assert.Single(mine[2].Feedback).Comment);

        // Either caller, case ignored, in questions and answers (both answers say "Refunds within 30 days").
        Assert.Equal(3, log.Browse(new LogFilter(["docs"], since, Text: "REFUND")).Count);
        Assert.Equal(2, log.Browse(new LogFilter(["docs", "secret"], since, Caller: "key-1", Kind: "search")).Count);
        // % and _ are literal characters, not wildcards.
        Assert.Equal("100% cotton_shirts", Assert.Single(log.Browse(new LogFilter(["docs"], since, Text: "0% cotton_"))).Question);
        Assert.Empty(log.Browse(new LogFilter(["docs"], since, Text: "1_0")));
        Assert.Equal("nothing about this?", Assert.Single(log.Browse(new LogFilter(["docs"], since, Flag: "Abstained"))).Question);
        Assert.Empty(log.Browse(new LogFilter([], since)));

        // The numbers alone, for the charts: abstentions and answers rated down are counted from the same entries.
        var measures = log.Measure(new LogFilter(["docs"], since, Caller: "key-1"));
        Assert.Equal(["ask", "search", "ask"], measures.Select(m => m.Kind));
        Assert.Equal([true, null, false], measures.Select(m => m.Abstained));
        Assert.Equal([false, false, true], measures.Select(m => m.RatedDown));
        Assert.Empty(log.Browse(new LogFilter(["docs"], DateTimeOffset.UtcNow.AddMinutes(1))));
    }

    [Fact]
    public void ALogFromBeforeTopScoresGainsTheColumn()
    {
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_folder.Path, QueryLog.FileName)};Pooling=false"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE queries (
                    id TEXT PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, collection TEXT NOT NULL, generation INTEGER NOT NULL,
                    caller TEXT, question TEXT, answer TEXT, flags TEXT, documents TEXT NOT NULL,
                    latency_ms REAL NOT NULL, tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL, cost TEXT NOT NULL, cached INTEGER NOT NULL);
                INSERT INTO queries VALUES ('old', '2026-11-01T00:00:00.0000000+00:00', 'search', 'docs', 1, 'k', 'old query', NULL, NULL, '[]', 1.0, 0, 0, '0', 0);
                """;
            command.ExecuteNonQuery();
        }

        using var log = new QueryLog(_folder.Path);
        log.RecordSearch("new query", "docs", 1, [], 1.0, topScore: 1.5);
        var entries = log.Browse(new LogFilter(["docs"], DateTimeOffset.Parse("2026-10-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal([1.5, null], entries.Select(e => e.TopScore));
    }

    private static AnswerRecord Answer(string question) =>
        new(question, "Refunds within 30 days [1].", [], [], new Dictionary<string, double> { ["retrieve"] = 2 }, null, "extractive", 0, 0, 0m, new AnswerFlags(false, false, true, 0, 0));
}
