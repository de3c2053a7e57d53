using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sift.Server;
using Sift.Server.Auth;
using Sift.Tests.Support;

namespace Sift.Tests.Server;

/// <summary>
/// Two `sift serve` processes' worth of servers on one PostgreSQL database: what is uploaded through one is searched
/// through the other, deletes and settings travel too, and access lists are enforced alike on both.
/// </summary>
[Collection(PostgresCluster.Name)]
[Trait("Category", "Postgres")]
public sealed class PostgresServerTests(PostgresCluster cluster) : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task AnUploadThroughOneServerIsSearchedThroughAnotherWithTheSameAccessRules()
    {
        var database = cluster.NewDatabase();
        // Each server has its own home folder; collections, keys and jobs are in the database, so a key works on both.
        var homeA = _folder.Combine("a");
        var homeB = _folder.Combine("b");
        var keys = new ApiKeyStore(homeA, database);
        var writer = keys.Create("loader", [Scopes.Read, Scopes.Ingest], ["kb"], ["group:finance"]).Secret;
        var financeB = keys.Create("finance", [Scopes.Read], ["kb"], ["group:finance"]).Secret;
        var outsiderB = keys.Create("outsider", [Scopes.Read, Scopes.Ingest], ["kb"], ["group:other"]).Secret;
        await using var a = await RunningServer.StartAsync(new ServerOptions { StoreRoot = homeA, Store = database });
        await using var b = await RunningServer.StartAsync(new ServerOptions { StoreRoot = homeB, Store = database });

        var upload = await a.Client(writer).PostJsonAsync("/v1/collections/kb/documents", new
        {
            documents = new object[]
            {
                new { id = "public/tides", text = "Tide tables predict the height of the sea at each harbour." },
                new { id = "finance/budget", text = "The harbour budget for dredging is reviewed each spring.", acl = new[] { "group:finance" } },
            },
        });
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        Assert.Equal("succeeded", (await a.Client(writer).WaitForJobAsync(upload.Headers.Location!.ToString())).GetProperty("status").GetString());

        async Task<string[]> SearchAsync(RunningServer server, string key, string query, string mode = "bm25")
        {
            var response = await server.Client(key).PostJsonAsync("/v1/collections/kb/search", new { query, mode, k = 10 });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return [.. (await response.JsonAsync()).GetProperty("results").EnumerateArray().Select(r => r.GetProperty("documentId").GetString()!)];
        }

        // B never saw the upload happen; it reads the same database on its next request.
        Assert.Equal(["finance/budget", "public/tides"], (await SearchAsync(b, financeB, "harbour")).Order(StringComparer.Ordinal));
        Assert.Equal(["public/tides"], await SearchAsync(b, outsiderB, "harbour"));
        Assert.Equal(["public/tides"], await SearchAsync(b, outsiderB, "harbour budget dredging", "hybrid"));
        Assert.Equal(await SearchAsync(a, writer, "harbour"), await SearchAsync(b, financeB, "harbour"));

        // Counts and versions follow what each caller may see, on either server.
        var details = await (await b.Client(outsiderB).GetAsync(new Uri("/v1/collections/kb", UriKind.Relative), TestContext.Current.CancellationToken)).JsonAsync();
        Assert.Equal(1, details.GetProperty("documents").GetInt32());

        // A document the outsider may not see cannot be deleted by it through B; the owner deletes it through B.
        Assert.Equal(HttpStatusCode.NotFound, (await b.Client(outsiderB).DeleteAsync(new Uri("/v1/collections/kb/documents/finance%2Fbudget", UriKind.Relative), TestContext.Current.CancellationToken)).StatusCode);
        var financeDelete = keys.Create("finance-writer", [Scopes.Read, Scopes.Ingest], ["kb"], ["group:finance"]).Secret;
        Assert.Equal(HttpStatusCode.NoContent, (await b.Client(financeDelete).DeleteAsync(new Uri("/v1/collections/kb/documents/finance%2Fbudget", UriKind.Relative), TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(["public/tides"], await SearchAsync(a, writer, "harbour"));

        // Hostile filters (a NUL, which PostgreSQL refuses; thousands of keys) are refused up front, and the other
        // tenants' searches on the same server keep working (a failed statement once left a pooled connection broken).
        var nul = await b.Client(outsiderB).PostJsonAsync("/v1/collections/kb/search", new { query = "x", mode = "dense", filters = new Dictionary<string, string> { ["type"] = "\0" } });
        Assert.Equal(HttpStatusCode.BadRequest, nul.StatusCode);
        var many = await b.Client(outsiderB).PostJsonAsync("/v1/collections/kb/search", new { query = "x", mode = "dense", filters = Enumerable.Range(0, 5000).ToDictionary(i => $"k{i}", i => "v") });
        Assert.Equal(HttpStatusCode.BadRequest, many.StatusCode);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(["public/tides"], await SearchAsync(b, financeB, "harbour", "hybrid")); // finance/budget was deleted above
        }

        // An answer given by A can be rated through B: the query log is in the database too.
        var asked = await (await a.Client(writer).PostJsonAsync("/v1/collections/kb/ask", new { question = "What do tide tables predict?" })).JsonAsync();
        var answerId = asked.GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.Accepted, (await b.Client(writer).PostJsonAsync("/v1/feedback", new { answerId, rating = "down", comment = "rated through the other server" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Client(financeB).PostJsonAsync("/v1/feedback", new { answerId, rating = "up" })).StatusCode);
        // The console's log view reads the shared log too: filters in SQL on PostgreSQL, the top score, the feedback.
        var logged = Assert.Single(b.Services.GetRequiredService<Sift.Generation.Logging.QueryLog>().Browse(
            new Sift.Generation.Logging.LogFilter(["kb"], DateTimeOffset.UtcNow.AddHours(-1), Kind: "ask", Text: "TIDE_TABLES".Replace('_', ' '))));
        Assert.Equal(answerId, logged.Id);
        Assert.True(logged.TopScore > 0);
        Assert.Equal("rated through the other server", Assert.Single(logged.Feedback).Comment);
        Assert.Empty(b.Services.GetRequiredService<Sift.Generation.Logging.QueryLog>().Browse(
            new Sift.Generation.Logging.LogFilter(["kb"], DateTimeOffset.UtcNow.AddHours(-1), Text: "tide_tables")));

        // A key revoked through one server's store is refused by the other at once.
        var revoked = keys.List().Single(k => k.Name == "outsider");
        new ApiKeyStore(homeB, database).Revoke(revoked.Id);
        Assert.Equal(HttpStatusCode.Unauthorized, (await b.Client(outsiderB).PostJsonAsync("/v1/collections/kb/search", new { query = "harbour" })).StatusCode);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task AServerKilledMidJobLosesItToAnotherServerThatFinishesIt()
    {
        var database = cluster.NewDatabase();
        var homeA = _folder.Combine("a");
        var homeB = _folder.Combine("b");
        var loader = new ApiKeyStore(homeA, database).Create("loader", [Scopes.Read, Scopes.Ingest], ["kb"], []).Secret;
        var admin = new ApiKeyStore(homeB, database).Create("admin", [Scopes.Read, Scopes.Ingest, Scopes.Admin], ["*"], []).Secret;
        var port = LoopbackServer.FreePort();

        // Server A is a real `sift serve` process on the PostgreSQL store, killed with SIGKILL mid-job.
        using var a = SiftProcess.Start(homeA, new Dictionary<string, string> { ["SIFT_STORE"] = database },
            "serve", "--urls", $"http://127.0.0.1:{port}", "--job-lease-seconds", "2", "--ingest-workers", "1");
        using var clientA = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        clientA.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", loader);
        for (var attempt = 0; attempt < 200; attempt++)
        {
            try
            {
                if ((await clientA.GetAsync(new Uri("/healthz", UriKind.Relative), TestContext.Current.CancellationToken)).IsSuccessStatusCode)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }

        const int Documents = 3000;
        var documents = Enumerable.Range(0, Documents).Select(i => new { id = $"doc{i}", text = string.Join(' ', Enumerable.Range(0, 200).Select(w => $"word{w % 37} item{i}")) }).ToArray();
        var upload = await clientA.PostJsonAsync("/v1/collections/kb/documents", new { documents });
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        var jobPath = upload.Headers.Location!.ToString();

        // Kill A as soon as it has written part of the job.
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (PostgresCluster.Scalar(database, "SELECT COUNT(*) FROM sift_documents") == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        a.Kill(entireProcessTree: true);
        await a.WaitForExitAsync(TestContext.Current.CancellationToken);
        var writtenByA = PostgresCluster.Scalar(database, "SELECT COUNT(*) FROM sift_documents");
        Assert.InRange(writtenByA, 1, Documents - 1); // killed part-way, or the test proved nothing

        // Server B never saw the upload: it claims the job once A's lease has run out, reads its files from the
        // database, and finishes it, counting what A wrote as A's first attempt did.
        await using var b = await RunningServer.StartAsync(new ServerOptions { StoreRoot = homeB, Store = database, JobLease = TimeSpan.FromSeconds(2) });
        var job = await b.Client(admin).WaitForJobAsync(jobPath);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(Documents, job.GetProperty("added").GetInt32());
        Assert.Equal(Documents, PostgresCluster.Scalar(database, "SELECT COUNT(*) FROM sift_documents"));
        Assert.Equal(0, PostgresCluster.Scalar(database, "SELECT COUNT(*) FROM sift_job_files"));
        var hits = await (await b.Client(admin).PostJsonAsync("/v1/collections/kb/search", new { query = "item2999", k = 5 })).JsonAsync();
        Assert.Equal("doc2999", hits.GetProperty("results")[0].GetProperty("documentId").GetString());
    }

    [Fact]
    public async Task WhileTheDatabaseIsDownSearchesAnswer503AndRecoverAfterwards()
    {
        // A cluster of this test's own: stopping the shared one would stop the other tests' too.
        var own = new PostgresCluster();
        try
        {
            var database = own.NewDatabase();
            var key = new ApiKeyStore(_folder.Combine("home"), database).Create("reader", [Scopes.Read, Scopes.Ingest], ["kb"], []).Secret;
            await using var server = await RunningServer.StartAsync(new ServerOptions { StoreRoot = _folder.Combine("home"), Store = database });
            var upload = await server.Client(key).PostJsonAsync("/v1/collections/kb/documents", new { documents = new[] { new { id = "a", text = "Harbour cranes lift containers." } } });
            Assert.Equal("succeeded", (await server.Client(key).WaitForJobAsync(upload.Headers.Location!.ToString())).GetProperty("status").GetString());
            Assert.Equal(HttpStatusCode.OK, (await server.Client(key).PostJsonAsync("/v1/collections/kb/search", new { query = "cranes" })).StatusCode);

            // Until the server notices (its change feed's connection closing, at most the 10 s heartbeat bound) it may
            // still answer from memory; once it does, 503 with a problem, never a 500 or a stack trace.
            own.Stop();
            HttpResponseMessage down;
            var noticed = DateTime.UtcNow.AddSeconds(15);
            do
            {
                down = await server.Client(key).PostJsonAsync("/v1/collections/kb/search", new { query = "containers" });
                Assert.Contains(down.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
            }
            while (down.StatusCode != HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < noticed);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.DoesNotContain("   at ", await down.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

            own.Start();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            HttpStatusCode status;
            do
            {
                await Task.Delay(200, TestContext.Current.CancellationToken);
                status = (await server.Client(key).PostJsonAsync("/v1/collections/kb/search", new { query = "containers" })).StatusCode;
            }
            while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);
            Assert.Equal(HttpStatusCode.OK, status);
        }
        finally
        {
            own.Dispose();
        }
    }
}
