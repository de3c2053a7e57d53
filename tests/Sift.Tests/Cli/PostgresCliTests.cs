using System.Text;
using System.Text.Json;
using Npgsql;
using Sift.Tests.Support;

namespace Sift.Tests.Cli;

/// <summary>
/// The CLI on a PostgreSQL store, chosen by SIFT_STORE: the same commands, the same answers as on the embedded store,
/// clear errors for a store that cannot be reached, and a <c>sift ingest</c> killed mid-run leaves every document
/// whole.
/// </summary>
[Collection(PostgresCluster.Name)]
[Trait("Category", "Postgres")]
public sealed class PostgresCliTests(PostgresCluster cluster) : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static string DemoCorpus => Path.Combine(Paths.RepositoryRoot, "samples", "demo", "corpus");

    private Task<ProcessResult> OnPostgres(string database, params string[] args) =>
        SiftProcess.RunAsync(_folder.Combine("home"), new Dictionary<string, string> { ["SIFT_STORE"] = database }, args);

    private Task<ProcessResult> Embedded(params string[] args) => SiftProcess.RunAsync(_folder.Combine("embedded"), args);

    private static IReadOnlyList<string> Hits(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, result.Stderr);
        return [.. JsonDocument.Parse(result.Stdout).RootElement.GetProperty("results").EnumerateArray()
            .Select(r => $"{r.GetProperty("documentId").GetString()} {r.GetProperty("score").GetDouble():0.00000}")];
    }

    [Fact]
    public async Task VersionsPromoteAndRollBackOnPostgresAsOnTheEmbeddedStore()
    {
        var database = cluster.NewDatabase();
        _folder.File("docs/queue.md", "# Ingest queue\nOperators restart the ingest queue with the drain command.\n");
        _folder.File("docs/backups.md", "# Backups\nBackups run nightly.\n");
        Assert.Equal(0, (await OnPostgres(database, "ingest", _folder.Combine("docs"), "-c", "kb")).ExitCode);
        var before = Hits(await OnPostgres(database, "search", "restart the ingest queue", "-c", "kb", "--json"));

        _folder.File("docs/queue.md", "# Ingest queue\nThe queue restarts by itself now.\n");
        Assert.Equal(0, (await OnPostgres(database, "ingest", _folder.Combine("docs"), "-c", "kb", "--to", "candidate")).ExitCode);
        Assert.Equal(before, Hits(await OnPostgres(database, "search", "restart the ingest queue", "-c", "kb", "--json")));
        Assert.NotEqual(before, Hits(await OnPostgres(database, "search", "restart the ingest queue", "-c", "kb@candidate", "--json")));
        var diff = JsonDocument.Parse((await OnPostgres(database, "versions", "diff", "prod", "candidate", "-c", "kb", "--json")).Stdout).RootElement;
        Assert.Equal(["docs/queue.md"], diff.GetProperty("diff").GetProperty("changed").EnumerateArray().Select(e => e.GetString()));

        Assert.Equal(0, (await OnPostgres(database, "versions", "promote", "candidate", "-c", "kb")).ExitCode);
        Assert.NotEqual(before, Hits(await OnPostgres(database, "search", "restart the ingest queue", "-c", "kb", "--json")));
        Assert.Equal(0, (await OnPostgres(database, "versions", "rollback", "-c", "kb")).ExitCode);
        Assert.Equal(before, Hits(await OnPostgres(database, "search", "restart the ingest queue", "-c", "kb", "--json")));
        var listed = JsonDocument.Parse((await OnPostgres(database, "versions", "list", "-c", "kb", "--json")).Stdout).RootElement;
        Assert.Equal((1, 2), (listed.GetProperty("aliases").GetProperty("prod").GetInt32(), listed.GetProperty("aliases").GetProperty("candidate").GetInt32()));
    }

    [Fact]
    public async Task EveryCommandWorksOnPostgresAndAnswersAsTheEmbeddedStoreDoes()
    {
        var database = cluster.NewDatabase();
        var ingest = await OnPostgres(database, "ingest", DemoCorpus, "-c", "demo", "--json");
        Assert.True(ingest.ExitCode == 0, ingest.Stderr);
        Assert.Equal(12, JsonDocument.Parse(ingest.Stdout).RootElement.GetProperty("summary").GetProperty("added").GetInt32());
        Assert.Equal(0, (await Embedded("ingest", DemoCorpus, "-c", "demo")).ExitCode);

        var list = JsonDocument.Parse((await OnPostgres(database, "collections", "list", "--json")).Stdout).RootElement;
        Assert.StartsWith("postgres://postgres@127.0.0.1:", list.GetProperty("store").GetString(), StringComparison.Ordinal);
        Assert.Equal(12, list.GetProperty("collections")[0].GetProperty("documents").GetInt32());

        foreach (var query in new[] { "how does BM25 normalise for document length", "reciprocal rank fusion", "what is a cross-encoder" })
        {
            // BM25 and exact vector search are identical on both backends, scores included; the graph searches
            // (HNSW here, pgvector's there) are approximate, so only their best hit is compared.
            Assert.Equal(Hits(await Embedded("search", query, "-c", "demo", "--json")), Hits(await OnPostgres(database, "search", query, "-c", "demo", "--json")));
            Assert.Equal(
                Hits(await Embedded("search", query, "-c", "demo", "--mode", "dense", "--exact", "--json")),
                Hits(await OnPostgres(database, "search", query, "-c", "demo", "--mode", "dense", "--exact", "--json")));
            Assert.Equal(
                Hits(await Embedded("search", query, "-c", "demo", "--mode", "hybrid", "--json"))[0],
                Hits(await OnPostgres(database, "search", query, "-c", "demo", "--mode", "hybrid", "--json"))[0]);
        }

        var filtered = Hits(await OnPostgres(database, "search", "retrieval", "-c", "demo", "--mode", "dense", "--filter", "lang=none", "--json"));
        Assert.Empty(filtered);

        var ask = await OnPostgres(database, "ask", "How does BM25 normalise for document length?", "-c", "demo", "--json", "--no-log");
        Assert.True(ask.ExitCode == 0, ask.Stderr);
        var answer = JsonDocument.Parse(ask.Stdout).RootElement;
        Assert.NotEmpty(answer.GetProperty("citations").EnumerateArray());

        var show = await OnPostgres(database, "documents", "show", "corpus/bm25.md", "-c", "demo", "--json");
        Assert.True(show.ExitCode == 0, show.Stderr);
        Assert.Equal(0, (await OnPostgres(database, "documents", "delete", "corpus/bm25.md", "-c", "demo")).ExitCode);
        Assert.DoesNotContain(Hits(await OnPostgres(database, "search", "BM25 document length", "-c", "demo", "--json")), h => h.StartsWith("corpus/bm25.md", StringComparison.Ordinal));

        var again = await OnPostgres(database, "ingest", DemoCorpus, "-c", "demo", "--json");
        var summary = JsonDocument.Parse(again.Stdout).RootElement.GetProperty("summary");
        Assert.Equal((1, 11), (summary.GetProperty("added").GetInt32(), summary.GetProperty("unchanged").GetInt32()));

        var check = await OnPostgres(database, "collections", "check", "demo");
        Assert.Equal(1, check.ExitCode);
        Assert.Contains("works on an embedded store", check.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, (await OnPostgres(database, "collections", "delete", "demo")).ExitCode);
        Assert.Contains("no collections", (await OnPostgres(database, "collections", "list")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStoreThatCannotBeReachedIsOneClearErrorWithoutThePassword()
    {
        var unreachable = await OnPostgres($"postgres://sift:hunter2@127.0.0.1:{LoopbackServer.FreePort()}/nowhere", "collections", "list");
        Assert.Equal(1, unreachable.ExitCode);
        Assert.StartsWith("error: the store postgres://sift@127.0.0.1:", unreachable.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", unreachable.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", unreachable.Stderr, StringComparison.Ordinal);

        var missing = await OnPostgres(cluster.Address("no_such_database"), "collections", "list");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no_such_database", missing.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", missing.Stderr, StringComparison.Ordinal);

        var garbled = await OnPostgres("postgres://", "collections", "list");
        Assert.Equal(1, garbled.ExitCode);
        Assert.Contains("is not of the form postgres://user@host:5432/database", garbled.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task AKilledIngestLeavesEveryDocumentWholeAndARerunFinishesIt()
    {
        var database = cluster.NewDatabase();
        var corpus = new StringBuilder();
        for (var i = 0; i < 3000; i++)
        {
            var body = string.Join(' ', Enumerable.Range(0, 200).Select(w => $"word{w % 37} item{i}"));
            corpus.Append(JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = $"doc{i}", ["title"] = $"Document {i}", ["text"] = body })).Append('\n');
        }

        var path = _folder.File("corpus.jsonl", corpus.ToString());
        string[] ingest = ["ingest", path, "-c", "kb", "--chunker", "fixed", "--chunk-size", "100", "--chunk-overlap", "0"];
        using (var process = SiftProcess.Start(_folder.Combine("home"), new Dictionary<string, string> { ["SIFT_STORE"] = database }, ingest))
        {
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (PostgresCluster.Scalar(database, "SELECT COUNT(*) FROM sift_documents") == 0 && !process.HasExited && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }

            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        var written = PostgresCluster.Scalar(database, "SELECT COUNT(*) FROM sift_documents");
        Assert.InRange(written, 1, 2999); // killed part-way, or the test proved nothing
        // Every document present has all its chunks and every chunk its vector: batches commit whole or not at all.
        Assert.Equal(0, PostgresCluster.Scalar(database, "SELECT COUNT(*) FROM sift_documents d WHERE chunk_count <> (SELECT COUNT(*) FROM sift_chunks c WHERE c.collection = d.collection AND c.document_id = d.id)"));
        var key = PostgresCluster.Scalar(database, "SELECT key FROM sift_collections WHERE name = 'kb'");
        Assert.Equal(0, PostgresCluster.Scalar(database, $"SELECT COUNT(*) FROM sift_chunks c WHERE NOT EXISTS (SELECT 1 FROM sift_vectors_{key} v WHERE v.chunk_id = c.id)"));

        var rerun = await SiftProcess.RunAsync(_folder.Combine("home"), new Dictionary<string, string> { ["SIFT_STORE"] = database }, [.. ingest, "--json"]);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        var summary = JsonDocument.Parse(rerun.Stdout).RootElement.GetProperty("summary");
        Assert.Equal((3000 - written, written), (summary.GetProperty("added").GetInt32(), summary.GetProperty("unchanged").GetInt32()));
        Assert.Equal(3000, PostgresCluster.Scalar(database, "SELECT COUNT(*) FROM sift_documents"));
    }
}
