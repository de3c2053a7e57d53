using System.Net;
using System.Text.Json;
using Sift.Server;
using Sift.Server.Auth;
using Sift.Tests.Support;

namespace Sift.Tests.Server;

/// <summary>
/// The official MCP TypeScript SDK client against Sift: over stdio it spawns the real <c>sift mcp</c>; over HTTP it
/// talks to a running server's /mcp with a key. Every tool is listed and called; over HTTP a second key cannot see
/// tenant A's collection or documents (and neither can a document's access list be bypassed), and no key is refused.
/// </summary>
public sealed class McpTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static readonly string[] ToolNames = ["list_collections", "search", "ask", "get_document", "get_passage"];

    private static object Call(string tool, object arguments) => new { tool, arguments };

    private static JsonElement Result(JsonElement output, int index)
    {
        var result = output.GetProperty("results")[index];
        Assert.False(result.TryGetProperty("error", out var error), error.ToString());
        return result;
    }

    [Fact]
    public async Task StdioListsAndCallsEveryToolAsTheLocalUser()
    {
        var docs = _folder.Combine("docs");
        _folder.File("docs/glaciers.md", "# Glaciers\n\nGlaciers form where snow outlasts the summer and slowly turns to ice.");
        _folder.File("docs/rivers.md", "# Rivers\n\nRivers carry meltwater from glaciers to the sea.");
        var store = _folder.Combine("store");
        Assert.Equal(0, (await SiftProcess.RunAsync(store, "ingest", docs, "-c", "geo", "--embedder", "none", "--acl", "group:staff")).ExitCode);

        var output = await McpClient.StdioAsync(["dotnet", SiftProcess.CliPath, "--store", store, "mcp"],
        [
            Call("list_collections", new { }),
            Call("search", new { collection = "geo", query = "how do glaciers form", k = 2 }),
            Call("ask", new { collection = "geo", question = "How do glaciers form?" }),
            Call("get_document", new { collection = "geo", documentId = "docs/glaciers.md" }),
            Call("get_passage", new { collection = "geo", documentId = "docs/glaciers.md", start = 12, end = 39 }),
            Call("search", new { collection = "nowhere", query = "x" }),
            new { resource = "sift://documents/geo/docs/rivers.md" },
            Call("search", new { collection = "geo" }),
            Call("search", new { collection = "geo", query = "glaciers", k = 2.5 }),
            Call("get_passage", new { collection = "geo", documentId = "docs/glaciers.md", start = 0, end = 99_999_999_999 }),
        ]);

        Assert.False(output.TryGetProperty("connectError", out var connect), connect.ToString());
        Assert.Equal(ToolNames, output.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        Assert.All(output.GetProperty("tools").EnumerateArray(), t => Assert.True(t.GetProperty("description").GetString()!.Length > 60));
        var search = output.GetProperty("tools")[1].GetProperty("inputSchema").GetProperty("properties");
        Assert.Contains("Retrieval mode", search.GetProperty("mode").GetProperty("description").GetString(), StringComparison.Ordinal);

        var collections = Result(output, 0).GetProperty("structured").GetProperty("result");
        Assert.Equal(("geo", 2), (collections[0].GetProperty("name").GetString(), collections[0].GetProperty("documents").GetInt32()));
        // The local user reads documents under an access list too: stdio is the store's own permissions.
        var hits = Result(output, 1).GetProperty("structured").GetProperty("result");
        Assert.Equal("docs/glaciers.md", hits[0].GetProperty("documentId").GetString());
        var answer = Result(output, 2).GetProperty("structured");
        Assert.Contains("snow outlasts the summer", answer.GetProperty("answer").GetString(), StringComparison.Ordinal);
        Assert.Equal("docs/glaciers.md", answer.GetProperty("citations")[0].GetProperty("documentId").GetString());
        Assert.False(answer.GetProperty("flags").GetProperty("abstained").GetBoolean());
        var document = Result(output, 3).GetProperty("structured");
        Assert.Equal("Glaciers", document.GetProperty("title").GetString());
        Assert.False(document.GetProperty("metadata").TryGetProperty("acl", out _)); // who else may read it is not shown
        Assert.Equal("Glaciers form where snow", Result(output, 4).GetProperty("structured").GetProperty("text").GetString()![..24]);
        var unknown = Result(output, 5);
        Assert.True(unknown.GetProperty("isError").GetBoolean());
        Assert.Contains("unknown collection 'nowhere'", unknown.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains("Rivers carry meltwater", Result(output, 6).GetProperty("text").GetString(), StringComparison.Ordinal);

        // Bad arguments say what is wrong, so a model can correct its call.
        string Refusal(int i) => Result(output, i) is var r && r.GetProperty("isError").GetBoolean() ? r.GetProperty("text").GetString()! : $"not an error: {r}";
        Assert.StartsWith("search: the argument 'query' is required: What to look for", Refusal(7), StringComparison.Ordinal);
        Assert.Equal("search: the argument 'k' must be integer, not the number 2.5", Refusal(8));
        Assert.Equal("get_passage: the argument 'end' must be integer, not 99999999999 (too large)", Refusal(9));
    }

    [Fact]
    public async Task HttpUsesTheCallersKeyAndAnotherTenantSeesNothingOfA()
    {
        var store = _folder.Combine("store");
        var keys = new ApiKeyStore(store);
        var tenantA = keys.Create("a", [Scopes.Read, Scopes.Ingest], ["alpha"], ["group:staff"]).Secret;
        var tenantB = keys.Create("b", [Scopes.Read, Scopes.Ingest], ["beta"], []).Secret;
        var outsider = keys.Create("c", [Scopes.Read], ["alpha"], []).Secret; // may use alpha, but holds no principal of its access list
        await using var server = await RunningServer.StartAsync(new ServerOptions { StoreRoot = store, Cache = false });
        async Task UploadAsync(string key, string collection, object document)
        {
            var client = server.Client(key);
            var upload = await client.PostJsonAsync($"/v1/collections/{collection}/documents", new { documents = new[] { document } });
            Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
            await client.WaitForJobAsync(upload.Headers.Location!.ToString());
        }

        await UploadAsync(tenantA, "alpha", new { id = "plan", title = "Plan", text = "ALPHA-PLAN: glaciers are surveyed every spring by the alpha team.", acl = new[] { "group:staff" } });
        await UploadAsync(tenantB, "beta", new { id = "notes", title = "Notes", text = "Beta notes on rivers." });
        var mcp = new Uri(server.Root, "/mcp");
        object[] calls =
        [
            Call("list_collections", new { }),
            Call("search", new { collection = "alpha", query = "glaciers surveyed", k = 3 }),
            Call("ask", new { collection = "alpha", question = "When are glaciers surveyed?" }),
            Call("get_document", new { collection = "alpha", documentId = "plan" }),
            Call("get_passage", new { collection = "alpha", documentId = "plan", start = 0, end = 10 }),
            new { resource = "sift://documents/alpha/plan" },
        ];

        var a = await McpClient.HttpAsync(mcp, tenantA, calls);
        Assert.Equal(ToolNames, a.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        Assert.Equal(["alpha"], Result(a, 0).GetProperty("structured").GetProperty("result").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal("plan", Result(a, 1).GetProperty("structured").GetProperty("result")[0].GetProperty("documentId").GetString());
        Assert.Contains("every spring", Result(a, 2).GetProperty("structured").GetProperty("answer").GetString(), StringComparison.Ordinal);
        Assert.Equal("plan", Result(a, 3).GetProperty("structured").GetProperty("id").GetString());
        Assert.DoesNotContain("/", Result(a, 3).GetProperty("structured").GetProperty("source").GetString(), StringComparison.Ordinal); // never the server's path
        Assert.Equal("ALPHA-PLAN", Result(a, 4).GetProperty("structured").GetProperty("text").GetString());
        Assert.Contains("ALPHA-PLAN", Result(a, 5).GetProperty("text").GetString(), StringComparison.Ordinal);

        // Tenant B: alpha does not exist for it, through every tool and the resource.
        var b = await McpClient.HttpAsync(mcp, tenantB, calls);
        Assert.Equal(["beta"], Result(b, 0).GetProperty("structured").GetProperty("result").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        foreach (var i in new[] { 1, 2, 3, 4 })
        {
            var refused = b.GetProperty("results")[i];
            Assert.True(refused.GetProperty("isError").GetBoolean(), refused.ToString());
            Assert.Contains("was not found", refused.GetProperty("text").GetString(), StringComparison.Ordinal);
        }

        Assert.True(b.GetProperty("results")[5].TryGetProperty("error", out _));
        Assert.DoesNotContain("ALPHA-PLAN", b.ToString(), StringComparison.Ordinal);

        // A key that may use alpha but is not on the document's access list sees an empty collection.
        var c = await McpClient.HttpAsync(mcp, outsider, calls);
        Assert.Equal(0, Result(c, 0).GetProperty("structured").GetProperty("result")[0].GetProperty("documents").GetInt32());
        Assert.Empty(Result(c, 1).GetProperty("structured").GetProperty("result").EnumerateArray());
        Assert.True(c.GetProperty("results")[3].GetProperty("isError").GetBoolean());
        Assert.DoesNotContain("ALPHA-PLAN", c.ToString(), StringComparison.Ordinal);

        var anonymous = await McpClient.HttpAsync(mcp, null, calls);
        Assert.Contains("401", anonymous.GetProperty("connectError").GetString(), StringComparison.Ordinal);
    }
}
