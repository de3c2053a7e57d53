using System.Text.Json;
using Sift.Tests.Support;

namespace Sift.Tests.Cli;

/// <summary>
/// <c>sift store migrate</c> copies an embedded store into PostgreSQL and back, verified by counts and checksums, and
/// the copies answer exactly as the original; it refuses to overwrite, and a bad source is one clear error.
/// </summary>
[Collection(PostgresCluster.Name)]
[Trait("Category", "Postgres")]
public sealed class StoreMigrateCliTests(PostgresCluster cluster) : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private Task<ProcessResult> Sift(params string[] args) => SiftProcess.RunAsync(_folder.Combine("home"), args);

    private static string Hits(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, result.Stderr);
        return string.Join('\n', JsonDocument.Parse(result.Stdout).RootElement.GetProperty("results").EnumerateArray()
            .Select(r => $"{r.GetProperty("documentId").GetString()} {r.GetProperty("score").GetDouble():0.00000} {r.GetProperty("start").GetInt32()}-{r.GetProperty("end").GetInt32()} {r.GetProperty("snippet").GetString()}"));
    }

    [Fact]
    public async Task AnEmbeddedStoreGoesToPostgresAndBackAndAnswersTheSame()
    {
        var original = _folder.Combine("original");
        var back = _folder.Combine("back");
        var database = cluster.NewDatabase();
        var corpus = Path.Combine(Paths.RepositoryRoot, "samples", "demo", "corpus");
        Assert.Equal(0, (await Sift("--store", original, "ingest", corpus, "-c", "demo", "--acl", "group:docs")).ExitCode);
        Assert.Equal(0, (await Sift("--store", original, "ingest", Path.Combine(corpus, "bm25.md"), "-c", "bare", "--embedder", "none")).ExitCode);
        Assert.Equal(0, (await Sift("--store", original, "collections", "configure", "demo", "--mode", "hybrid", "--ef-search", "80")).ExitCode);

        var there = await Sift("store", "migrate", "--from", original, "--to", database, "--json");
        Assert.True(there.ExitCode == 0, there.Stderr);
        var copied = JsonDocument.Parse(there.Stdout).RootElement.GetProperty("collections").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Equal(["bare", "demo"], copied.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(12, copied["demo"].GetProperty("documents").GetInt32());
        Assert.Equal(copied["demo"].GetProperty("chunks").GetInt32(), copied["demo"].GetProperty("vectors").GetInt32());
        Assert.Equal(0, copied["bare"].GetProperty("vectors").GetInt32());

        var andBack = await Sift("store", "migrate", "--from", database, "--to", back, "--json");
        Assert.True(andBack.ExitCode == 0, andBack.Stderr);
        var returned = JsonDocument.Parse(andBack.Stdout).RootElement.GetProperty("collections").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Equal(copied["demo"].GetProperty("checksum").GetString(), returned["demo"].GetProperty("checksum").GetString());

        foreach (var store in new[] { database, back })
        {
            foreach (var mode in new[] { "bm25", "hybrid" })
            {
                string[] query = ["search", "how does BM25 normalise for document length", "-c", "demo", "--mode", mode, "--json"];
                Assert.Equal(Hits(await Sift(["--store", original, .. query])), Hits(await Sift(["--store", store, .. query])));
            }

            var info = JsonDocument.Parse((await Sift("--store", store, "collections", "info", "demo", "--json")).Stdout).RootElement;
            Assert.Equal("hybrid", info.GetProperty("settings").GetProperty("mode").GetString());
            Assert.Equal(80, info.GetProperty("settings").GetProperty("efSearch").GetInt32());
            Assert.Equal("recursive(size=200)", info.GetProperty("collection").GetProperty("chunker").GetString());
        }

        // (The access lists travelled as metadata: the checksum covers every document's metadata.)
        var again = await Sift("store", "migrate", "--from", original, "--to", database, "-c", "demo");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already has a collection 'demo'", again.Stderr, StringComparison.Ordinal);
        var missing = await Sift("store", "migrate", "--from", original, "--to", back, "-c", "nope");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("has no collection 'nope'", missing.Stderr, StringComparison.Ordinal);
    }
}
