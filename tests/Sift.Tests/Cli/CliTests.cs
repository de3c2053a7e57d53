using System.Text.Json;
using Sift.Tests.Support;

namespace Sift.Tests.Cli;

/// <summary>The real <c>sift</c> binary, run as a child process, as a user would.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private string Store => _folder.Combine("store");

    public void Dispose() => _folder.Dispose();

    private Task<ProcessResult> Sift(params string[] args) => SiftProcess.RunAsync(Store, args);

    [Fact]
    public async Task IngestThenSearchAsJson()
    {
        _folder.File("docs/guide.md", "# Setup\nInstall the package with the installer.\n\n## Troubleshooting\nIf installation fails, check the proxy settings.\n");
        _folder.File("docs/notes.txt", "Unrelated notes about cooking pasta.");

        var ingest = await Sift("ingest", _folder.Combine("docs"), "--collection", "kb", "--json");
        Assert.Equal(0, ingest.ExitCode);
        using var summary = JsonDocument.Parse(ingest.Stdout);
        Assert.Equal(2, summary.RootElement.GetProperty("summary").GetProperty("added").GetInt32());

        var search = await Sift("search", "installation proxy", "--collection", "kb", "-k", "5", "--json");
        Assert.Equal(0, search.ExitCode);
        using var results = JsonDocument.Parse(search.Stdout);
        var top = results.RootElement.GetProperty("results")[0];
        Assert.Equal("docs/guide.md", top.GetProperty("documentId").GetString());
        Assert.Equal(["Setup", "Troubleshooting"], top.GetProperty("headingPath").EnumerateArray().Select(e => e.GetString()));
        var snippet = top.GetProperty("snippet").GetString()!;
        var highlighted = top.GetProperty("highlights").EnumerateArray()
            .Select(h => snippet.Substring(h.GetProperty("start").GetInt32(), h.GetProperty("length").GetInt32()))
            .ToList();
        Assert.Contains("installation", highlighted);
        Assert.Contains("proxy", highlighted);
    }

    [Fact]
    public async Task SearchPrintsRankedResultsForPeople()
    {
        _folder.File("docs/a.txt", "Kubernetes pods restart when probes fail.");
        await Sift("ingest", _folder.Combine("docs"), "-c", "kb");
        var search = await Sift("search", "pods restart", "-c", "kb");
        Assert.Equal(0, search.ExitCode);
        Assert.Contains("docs/a.txt", search.Stdout, StringComparison.Ordinal);
        Assert.Contains(" 1.", search.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FiltersOnIngestMetadata()
    {
        _folder.File("public/a.txt", "quarterly report figures");
        _folder.File("private/b.txt", "quarterly report salaries");
        await Sift("ingest", _folder.Combine("public"), "-c", "kb", "--meta", "access=public");
        await Sift("ingest", _folder.Combine("private"), "-c", "kb", "--meta", "access=staff");

        var search = await Sift("search", "quarterly report", "-c", "kb", "--filter", "access=public", "--json");
        using var results = JsonDocument.Parse(search.Stdout);
        var ids = results.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("documentId").GetString()).ToList();
        Assert.Equal(["public/a.txt"], ids);
    }

    [Fact]
    public async Task CollectionsListInfoDelete()
    {
        _folder.File("docs/a.txt", "alpha");
        await Sift("ingest", _folder.Combine("docs"), "-c", "one", "--chunker", "fixed");

        var list = await Sift("collections", "list", "--json");
        using (var json = JsonDocument.Parse(list.Stdout))
        {
            var collection = json.RootElement.GetProperty("collections")[0];
            Assert.Equal("one", collection.GetProperty("name").GetString());
            Assert.Equal(1, collection.GetProperty("documents").GetInt32());
        }

        var info = await Sift("collections", "info", "one", "--json");
        using (var json = JsonDocument.Parse(info.Stdout))
        {
            Assert.Equal("fixed(size=200,overlap=40)", json.RootElement.GetProperty("collection").GetProperty("chunker").GetString());
            Assert.Equal(16, json.RootElement.GetProperty("settings").GetProperty("m").GetInt32());
        }

        Assert.Equal(0, (await Sift("collections", "delete", "one")).ExitCode);
        var after = await Sift("collections", "list", "--json");
        using (var json = JsonDocument.Parse(after.Stdout))
        {
            Assert.Equal(0, json.RootElement.GetProperty("collections").GetArrayLength());
        }
    }

    [Fact]
    public async Task ABadRecordFailsAloneIsListedAndSetsTheExitCodeUnlessSkipBad()
    {
        _folder.File("c.jsonl", "{\"_id\":\"1\",\"text\":\"good\"}\n{broken\n{\"_id\":\"2\",\"text\":\"also good\"}\n{\"_id\":\"1\",\"text\":\"duplicate\"}\n");

        AssertOneLineError(await Sift("ingest", _folder.Combine("c.jsonl"), "-c", "strict", "--strict"), "c.jsonl:2");
        Assert.DoesNotContain("strict", (await Sift("collections", "list")).Stdout, StringComparison.Ordinal); // a failed first ingest leaves no collection

        var byDefault = await Sift("ingest", _folder.Combine("c.jsonl"), "-c", "kb", "--json");
        AssertOneLineError(byDefault, "2 file(s) or record(s) failed");
        using (var json = JsonDocument.Parse(byDefault.Stdout))
        {
            var summary = json.RootElement.GetProperty("summary");
            Assert.Equal(2, summary.GetProperty("skipped").GetInt32());
            Assert.Equal(2, summary.GetProperty("added").GetInt32());
            Assert.Equal(2, summary.GetProperty("chunks").GetInt32());
            Assert.Equal(JsonValueKind.Number, summary.GetProperty("elapsed").ValueKind);
            Assert.Contains(summary.GetProperty("problems").EnumerateArray(), p => p.GetString()!.Contains("c.jsonl:2", StringComparison.Ordinal));
        }

        var info = JsonDocument.Parse((await Sift("collections", "info", "kb", "--json")).Stdout).RootElement.GetProperty("collection");
        Assert.Equal(2, info.GetProperty("documents").GetInt32());
        Assert.Equal(2, info.GetProperty("chunks").GetInt32());
        Assert.Equal(0, (await Sift("ingest", _folder.Combine("c.jsonl"), "-c", "kb", "--skip-bad")).ExitCode);
    }

    [Fact]
    public async Task BadInputGetsOneClearLineAndANonZeroExit()
    {
        _folder.File("docs/a.txt", "alpha");
        await Sift("ingest", _folder.Combine("docs"), "-c", "kb");
        _folder.File("dataset/corpus.jsonl", "{\"_id\":\"1\",\"text\":\"x\"}\n");
        _folder.File("dataset/queries.jsonl", "{\"_id\":\"q\",\"text\":\"x\"}\n");

        AssertOneLineError(await Sift("ingest", _folder.Combine("missing"), "-c", "kb"), "path not found");
        AssertOneLineError(await Sift("search", "  ", "-c", "kb"), "query is empty");
        AssertOneLineError(await Sift("search", "alpha", "-c", "nope"), "unknown collection 'nope'");
        AssertOneLineError(await Sift("eval", "retrieval", "--dataset", _folder.Combine("dataset")), "no qrels for split 'test'");
        AssertOneLineError(await Sift("ingest", _folder.Combine("docs"), "-c", "bad/name"), "invalid collection name");
        AssertOneLineError(await Sift("search", "alpha", "-c", "kb", "--filter", "novalue"), "key=value");

        // None of that touched the collection.
        var search = await Sift("search", "alpha", "-c", "kb", "--json");
        Assert.Contains("docs/a.txt", search.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EncryptedPdfIsOneLineAndDoesNotDamageTheCollection()
    {
        _folder.File("docs/a.txt", "alpha");
        await Sift("ingest", _folder.Combine("docs"), "-c", "kb");
        File.WriteAllBytes(_folder.Combine("docs/locked.pdf"), EncryptedPdf.Bytes());

        AssertOneLineError(await Sift("ingest", _folder.Combine("docs"), "-c", "kb", "--strict"), "encrypted");
        var listed = await Sift("ingest", _folder.Combine("docs"), "-c", "kb");
        AssertOneLineError(listed, "1 file(s) or record(s) failed");
        Assert.Contains("encrypted", listed.Stdout, StringComparison.Ordinal);

        var skipped = await Sift("ingest", _folder.Combine("docs"), "-c", "kb", "--skip-bad", "--prune", "--json");
        Assert.Equal(0, skipped.ExitCode);
        Assert.Contains("docs/a.txt", (await Sift("search", "alpha", "-c", "kb", "--json")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UsageErrorsAreOneLineAndAHintNotTheWholeHelp()
    {
        var result = await Sift("collections", "info");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            ["error: Required argument 'name' missing for command: 'info'.", "usage: see 'sift collections info --help'"],
            result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task DemoRunsOfflineAndIsIncrementalOnTheSecondRun()
    {
        var first = await Sift("demo", "--json");
        Assert.Equal(0, first.ExitCode);
        using var report = JsonDocument.Parse(first.Stdout);
        Assert.Equal(12, report.RootElement.GetProperty("ingest").GetProperty("added").GetInt32());
        Assert.True(report.RootElement.GetProperty("metrics").GetProperty("hit@3").GetDouble() >= 0.9);
        Assert.Equal(3, report.RootElement.GetProperty("searches").GetArrayLength());
        var ask = report.RootElement.GetProperty("ask");
        Assert.False(ask.GetProperty("flags").GetProperty("abstained").GetBoolean());
        Assert.Equal("corpus/cross-encoders.md", ask.GetProperty("citations")[0].GetProperty("documentId").GetString());

        var second = await Sift("demo");
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("12 unchanged", second.Stdout, StringComparison.Ordinal);
        Assert.Contains("ndcg@10", second.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvalAndBenchRunOnASmallBeirDatasetAndWriteTheirFiles()
    {
        _folder.File("ds/corpus.jsonl", "{\"_id\":\"d1\",\"title\":\"Cats\",\"text\":\"cats purr\"}\n{\"_id\":\"d2\",\"title\":\"Dogs\",\"text\":\"dogs bark\"}\n");
        _folder.File("ds/queries.jsonl", "{\"_id\":\"q1\",\"text\":\"purring cat\"}\n{\"_id\":\"q2\",\"text\":\"barking\"}\n");
        _folder.File("ds/qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n");

        var eval = await Sift("eval", "retrieval", "--dataset", _folder.Combine("ds"), "-k", "1", "5", "--out", _folder.Combine("report.json"), "--run-out", _folder.Combine("run.trec"), "--collection", "ds");
        Assert.Equal(0, eval.ExitCode);
        using (var report = JsonDocument.Parse(File.ReadAllText(_folder.Combine("report.json"))))
        {
            Assert.Equal(1.0, report.RootElement.GetProperty("metrics").GetProperty("ndcg@1").GetDouble());
            Assert.Equal("bm25", report.RootElement.GetProperty("provenance").GetProperty("retriever").GetString());
            Assert.Equal("document", report.RootElement.GetProperty("provenance").GetProperty("chunker").GetString());
            Assert.Equal(2, report.RootElement.GetProperty("perQuery").GetArrayLength());
        }

        Assert.Equal(["q1 Q0 d1 1", "q2 Q0 d2 1"], File.ReadAllLines(_folder.Combine("run.trec")).Select(l => string.Join(' ', l.Split(' ')[..4])));
        Assert.Contains("ds", (await Sift("collections", "list")).Stdout, StringComparison.Ordinal);

        var bench = await Sift("bench", "retrieval", "--dataset", _folder.Combine("ds"), "--rounds", "1", "--warm-up", "0", "--json");
        Assert.Equal(0, bench.ExitCode);
        using var numbers = JsonDocument.Parse(bench.Stdout);
        Assert.Equal(2, numbers.RootElement.GetProperty("documents").GetInt32());
        var modes = numbers.RootElement.GetProperty("modes").EnumerateArray().ToList();
        Assert.Equal(["bm25", "dense (HNSW)", "dense (exact)", "hybrid rrf", "hybrid weighted"], modes.Select(m => m.GetProperty("mode").GetString()));
        Assert.All(modes, m => Assert.True(m.GetProperty("latency").GetProperty("queriesPerSecond").GetDouble() > 0));

        var ask = await Sift("bench", "ask", "--dataset", _folder.Combine("ds"), "--json");
        Assert.True(ask.ExitCode == 0, ask.Stderr);
        using (var overhead = JsonDocument.Parse(ask.Stdout))
        {
            Assert.Equal(2, overhead.RootElement.GetProperty("queries").GetInt32());
            Assert.True(overhead.RootElement.GetProperty("overheadP50Ms").GetDouble() > 0);
        }

        var same = await Sift("eval", "compare", _folder.Combine("report.json"), _folder.Combine("report.json"), "--json");
        Assert.Equal(0, same.ExitCode);
        using (var json = JsonDocument.Parse(same.Stdout))
        {
            Assert.Equal(0, json.RootElement.GetProperty("significantlyWorse").GetArrayLength());
        }

        AssertOneLineError(await Sift("eval", "compare", _folder.Combine("report.json"), _folder.Combine("missing.json")), "run file not found");

        var calibration = await Sift("eval", "abstention", "--dataset", _folder.Combine("ds"), "--json");
        Assert.True(calibration.ExitCode == 0, calibration.Stderr);
        using (var json = JsonDocument.Parse(calibration.Stdout))
        {
            Assert.Equal(2, json.RootElement.GetProperty("answerable").GetInt32());
            Assert.True(json.RootElement.GetProperty("minScore").GetDouble() >= 0);
        }

        AssertOneLineError(await Sift("eval", "retrieval", "--dataset", _folder.Combine("ds"), "--bm25-b", "2"), "between 0 and 1");
    }

    [Fact]
    public async Task AskAnswersOfflineWithCheckedCitationsOrAbstains()
    {
        Assert.Equal(0, (await Sift("demo", "--json")).ExitCode);

        var ask = await Sift("ask", "what does a cross-encoder read?", "-c", "demo", "--json");
        Assert.True(ask.ExitCode == 0, ask.Stderr);
        using (var record = JsonDocument.Parse(ask.Stdout))
        {
            var root = record.RootElement;
            Assert.Contains("[1]", root.GetProperty("answer").GetString(), StringComparison.Ordinal);
            Assert.Equal("corpus/cross-encoders.md", root.GetProperty("citations")[0].GetProperty("documentId").GetString());
            Assert.True(root.GetProperty("flags").GetProperty("extractive").GetBoolean());
            Assert.False(root.GetProperty("flags").GetProperty("abstained").GetBoolean());
            Assert.Equal(0, root.GetProperty("flags").GetProperty("invalidCitations").GetInt32());
            Assert.True(root.GetProperty("timingsMs").TryGetProperty("assemble", out _));
            Assert.True(root.GetProperty("tokensIn").GetInt32() > 0);
        }

        var unknown = await Sift("ask", "what is the capital of France?", "-c", "demo", "--json");
        using (var record = JsonDocument.Parse(unknown.Stdout))
        {
            Assert.True(record.RootElement.GetProperty("flags").GetProperty("abstained").GetBoolean());
            Assert.Equal("Not found in the sources.", record.RootElement.GetProperty("answer").GetString());
        }

        AssertOneLineError(await Sift("ask", " ", "-c", "demo"), "the question is empty");
        AssertOneLineError(await Sift("ask", new string('x', 2001), "-c", "demo"), "the limit is 2000");
        AssertOneLineError(await Sift("ask", "BM25 document length", "-c", "demo", "--budget", "5"), "cannot hold even one passage");
        // A collection whose only document was deleted.
        _folder.File("lonely/note.txt", "A note.");
        await Sift("ingest", _folder.Combine("lonely"), "-c", "blank");
        Assert.Equal(0, (await Sift("documents", "delete", "lonely/note.txt", "-c", "blank")).ExitCode);
        AssertOneLineError(await Sift("ask", "anything", "-c", "blank"), "has no documents");
    }

    [Fact]
    public async Task EvalAnswersScoresTheDemoQaSetAndGatesOnABaseline()
    {
        Assert.Equal(0, (await Sift("demo", "--json")).ExitCode);
        var qa = Path.Combine(Paths.RepositoryRoot, "samples", "demo", "qa.jsonl");

        var run = await Sift("eval", "answers", "--dataset", qa, "-c", "demo", "--out", _folder.Combine("answers.json"), "--json");
        Assert.True(run.ExitCode == 0, run.Stderr);
        using (var report = JsonDocument.Parse(run.Stdout))
        {
            var metrics = report.RootElement.GetProperty("metrics");
            Assert.Equal(1.0, metrics.GetProperty("context_recall").GetDouble());
            Assert.True(metrics.GetProperty("token_f1").GetDouble() > 0.15);
            Assert.Equal(1.0 / 6, metrics.GetProperty("abstained").GetDouble(), 1e-9);
            Assert.Contains("faithfulness", report.RootElement.GetProperty("notComputed").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(1.0, metrics.GetProperty("abstention_accuracy").GetDouble());
            Assert.Equal(1, report.RootElement.GetProperty("slices").GetProperty("bm25").GetProperty("count").GetInt32());
            Assert.Equal(6, report.RootElement.GetProperty("slices").EnumerateObject().Where(s => s.Name.StartsWith("length:", StringComparison.Ordinal)).Sum(s => s.Value.GetProperty("count").GetInt32()));
            var provenance = report.RootElement.GetProperty("provenance");
            Assert.Equal(64, provenance.GetProperty("datasetSha256").GetString()!.Length);
            Assert.Equal("extractive", provenance.GetProperty("model").GetString());
            Assert.Equal("recursive(size=200)", provenance.GetProperty("chunker").GetString());
        }

        var gate = await Sift("eval", "answers", "--dataset", qa, "-c", "demo", "--baseline", _folder.Combine("answers.json"), "--max-drop", "token_f1=0.02");
        Assert.True(gate.ExitCode == 0, gate.Stderr);
    }

    private static void AssertOneLineError(ProcessResult result, string expected)
    {
        Assert.Equal(1, result.ExitCode);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one error line, got: {result.Stderr}");
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
    }
}
