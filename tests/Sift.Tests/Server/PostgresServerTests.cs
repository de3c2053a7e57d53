using System.Net;
using System.Text.Json;
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
        // Each server keeps its own keys and job table here (its home folder); the collections are shared.
        var homeA = _folder.Combine("a");
        var homeB = _folder.Combine("b");
        var writer = new ApiKeyStore(homeA).Create("loader", [Scopes.Read, Scopes.Ingest], ["kb"], ["group:finance"]).Secret;
        var financeB = new ApiKeyStore(homeB).Create("finance", [Scopes.Read], ["kb"], ["group:finance"]).Secret;
        var outsiderB = new ApiKeyStore(homeB).Create("outsider", [Scopes.Read, Scopes.Ingest], ["kb"], ["group:other"]).Secret;
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
        var financeDelete = new ApiKeyStore(homeB).Create("finance-writer", [Scopes.Read, Scopes.Ingest], ["kb"], ["group:finance"]).Secret;
        Assert.Equal(HttpStatusCode.NoContent, (await b.Client(financeDelete).DeleteAsync(new Uri("/v1/collections/kb/documents/finance%2Fbudget", UriKind.Relative), TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(["public/tides"], await SearchAsync(a, writer, "harbour"));
    }
}
