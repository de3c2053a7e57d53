using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sift.Generation.Llm;
using Sift.Generation.Logging;
using Sift.Index.Storage;
using Sift.Ingest;
using Sift.Ingest.Chunking;
using Sift.Ingest.Loading;
using Sift.Server;
using Sift.Server.Auth;
using Sift.Tests.Support;

namespace Sift.Tests.Server;

/// <summary>
/// The HTTP API end to end over real HTTP on loopback: the auth matrix, two tenants sharing one collection under
/// document access lists (search, ask, citations, caches, feedback, delete), uploads and their jobs, limits, SSE,
/// degradation, health and metrics.
/// </summary>
[Collection(CacheCounters.Name)]
public sealed class ServerTests : IAsyncDisposable
{
    private readonly TempFolder _folder = new();
    private readonly LoopbackChatServer _llm = new();
    private readonly ApiKeyStore _keys;
    private readonly string _finance;
    private readonly string _hr;
    private readonly string _ingest;
    private readonly string _otherCollection;
    private readonly string _admin;

    public ServerTests()
    {
        _keys = new ApiKeyStore(Store);
        _finance = _keys.Create("finance", [Scopes.Read], ["shared"], ["group:finance"]).Secret;
        _hr = _keys.Create("hr", [Scopes.Read], ["shared"], ["group:hr"]).Secret;
        _ingest = _keys.Create("loader", [Scopes.Ingest], ["shared"], []).Secret;
        _otherCollection = _keys.Create("other", [Scopes.Read, Scopes.Ingest], ["other"], ["group:finance"]).Secret;
        _admin = _keys.Create("admin", [Scopes.Read, Scopes.Ingest, Scopes.Admin], ["*"], ["group:finance", "group:hr"]).Secret;
    }

    private string Store => _folder.Combine("store");

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        await _llm.DisposeAsync();
        _folder.Dispose();
    }

    private Task<RunningServer> StartAsync(Func<ServerOptions, ServerOptions>? configure = null)
    {
        var options = new ServerOptions { StoreRoot = Store };
        return RunningServer.StartAsync(configure?.Invoke(options) ?? options);
    }

    /// <summary>Three documents in "shared": one public, one for finance, one for HR.</summary>
    private async Task SeedAsync(RunningServer server)
    {
        var upload = await server.Client(_ingest).PostJsonAsync("/v1/collections/shared/documents", new
        {
            documents = new object[]
            {
                new { id = "handbook", title = "Handbook", text = "The office opens at nine. Salary questions go to your manager first." },
                new { id = "finance/bands", title = "Salary bands", text = "Salary bands for engineers are reviewed in March by the finance committee.", acl = new[] { "group:finance" } },
                new { id = "hr/reviews", title = "Reviews", text = "Salary complaints and performance reviews are handled by people operations in March.", acl = new[] { "group:hr" } },
            },
        });
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        var job = await server.Client(_ingest).WaitForJobAsync(upload.Headers.Location!.ToString());
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(3, job.GetProperty("added").GetInt32());
    }

    private static async Task<List<string>> SearchAsync(HttpClient client, string query, string collection = "shared")
    {
        var response = await client.PostJsonAsync($"/v1/collections/{collection}/search", new { query, k = 10 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await response.JsonAsync()).GetProperty("results").EnumerateArray().Select(r => r.GetProperty("documentId").GetString()!)];
    }

    /// <summary>A body of <c>size</c> bytes that counts how much of it the client actually sent.</summary>
    private sealed class CountingContent(int size) : HttpContent
    {
        public int Sent { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var block = Encoding.ASCII.GetBytes(new string('x', 64 * 1024));
            while (Sent < size)
            {
                var count = Math.Min(block.Length, size - Sent);
                await stream.WriteAsync(block.AsMemory(0, count));
                Sent += count;
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = size;
            return true;
        }
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.JsonAsync();
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.DoesNotContain("   at ", problem.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnInvalidOptionIsReportedAgainstTheRequestFieldThatSetIt()
    {
        await using var server = await StartAsync();
        await SeedAsync(server);
        var response = await server.Client(_finance).PostJsonAsync("/v1/collections/shared/search", new { query = "salary", mode = "fuzzy" });
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        var error = Assert.Single((await response.JsonAsync()).GetProperty("errors").GetProperty("mode").EnumerateArray()).GetString();
        Assert.Equal("must be one of bm25, dense, hybrid (got 'fuzzy')", error);
    }

    [Fact]
    public async Task TheAuthMatrixGivesTheRightStatusWithoutRevealingWhatExists()
    {
        await using var server = await StartAsync();
        await SeedAsync(server);
        var search = new { query = "salary" };

        await AssertProblemAsync(await server.Client().PostJsonAsync("/v1/collections/shared/search", search), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await server.Client("sift_000000000000_wrong").PostJsonAsync("/v1/collections/shared/search", search), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await server.Client("not-a-key").PostJsonAsync("/v1/collections/shared/search", search), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await server.Client(_finance).PostJsonAsync("/v1/collections/shared/documents", new { documents = new[] { new { id = "x", text = "y" } } }), HttpStatusCode.Forbidden, "forbidden");
        await AssertProblemAsync(await server.Client(_ingest).PostJsonAsync("/v1/collections/shared/search", search), HttpStatusCode.Forbidden, "forbidden");

        // A collection the key may not use and one that does not exist look the same.
        var notMine = await server.Client(_otherCollection).PostJsonAsync("/v1/collections/shared/search", search);
        var missing = await server.Client(_finance).PostJsonAsync("/v1/collections/nope/search", search);
        await AssertProblemAsync(notMine, HttpStatusCode.NotFound, "not_found");
        await AssertProblemAsync(missing, HttpStatusCode.NotFound, "not_found");
        Assert.Equal(
            (await notMine.JsonAsync()).GetProperty("detail").GetString()!.Replace("shared", "X", StringComparison.Ordinal),
            (await missing.JsonAsync()).GetProperty("detail").GetString()!.Replace("nope", "X", StringComparison.Ordinal));

        var listed = await (await server.Client(_otherCollection).GetAsync("/v1/collections", Cancel)).JsonAsync();
        Assert.Equal(0, listed.GetProperty("collections").GetArrayLength());
        var all = await (await server.Client(_admin).GetAsync("/v1/collections", Cancel)).JsonAsync();
        Assert.Equal(["shared"], all.GetProperty("collections").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        var info = await (await server.Client(_finance).GetAsync("/v1/collections/shared", Cancel)).JsonAsync();
        Assert.Equal(2, info.GetProperty("documents").GetInt32()); // the public handbook and finance's own: HR's is not counted

        var revoked = _keys.Create("temporary", [Scopes.Read], ["shared"], []);
        Assert.Equal(HttpStatusCode.OK, (await server.Client(revoked.Secret).PostJsonAsync("/v1/collections/shared/search", search)).StatusCode);
        _keys.Revoke(revoked.Key.Id);
        await AssertProblemAsync(await server.Client(revoked.Secret).PostJsonAsync("/v1/collections/shared/search", search), HttpStatusCode.Unauthorized, "unauthorized");
        Assert.DoesNotContain(revoked.Secret, File.ReadAllText(Path.Combine(Store, ApiKeyStore.FileName), Encoding.Latin1), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoTenantsOverOneCollectionNeverSeeEachOthersDocumentsEvenThroughTheCaches()
    {
        await using var server = await StartAsync();
        await SeedAsync(server);
        var finance = server.Client(_finance);
        var hr = server.Client(_hr);

        Assert.Equal(["finance/bands", "handbook"], (await SearchAsync(finance, "salary March")).Order(StringComparer.Ordinal));
        Assert.Equal(["handbook", "hr/reviews"], (await SearchAsync(hr, "salary March")).Order(StringComparer.Ordinal));
        // Same query again for HR: an exact-cache hit must still be HR's own results.
        var again = await (await hr.PostJsonAsync("/v1/collections/shared/search", new { query = "salary March", k = 10 })).JsonAsync();
        Assert.True(again.GetProperty("cached").GetBoolean());
        Assert.DoesNotContain("finance/bands", again.GetRawText(), StringComparison.Ordinal);

        var filtered = await (await finance.PostJsonAsync("/v1/collections/shared/search", new { query = "salary", filters = new Dictionary<string, object> { ["acl"] = "group:hr" } })).JsonAsync();
        Assert.Equal("validation_failed", filtered.GetProperty("code").GetString());

        var financeAnswer = await (await finance.PostJsonAsync("/v1/collections/shared/ask", new { question = "When are salary bands reviewed?" })).JsonAsync();
        Assert.Contains("finance/bands", financeAnswer.GetProperty("citations").EnumerateArray().Select(c => c.GetProperty("documentId").GetString()));
        // The same question from HR: neither the exact nor the semantic cache may hand over finance's answer.
        foreach (var question in (string[])["When are salary bands reviewed?", "when are the salary bands reviewed"])
        {
            var hrAnswer = await (await hr.PostJsonAsync("/v1/collections/shared/ask", new { question })).JsonAsync();
            Assert.DoesNotContain("finance", hrAnswer.GetRawText(), StringComparison.OrdinalIgnoreCase);
            Assert.All(hrAnswer.GetProperty("retrieved").EnumerateArray(), r => Assert.NotEqual("finance/bands", r.GetProperty("documentId").GetString()));
        }

        var semantic = await (await finance.PostJsonAsync("/v1/collections/shared/ask", new { question = "when are the salary bands reviewed" })).JsonAsync();
        Assert.True(semantic.GetProperty("cached").GetBoolean(), "a near-identical question from the same tenant is a semantic-cache hit");

        // Feedback: only the key that asked may rate the answer; to anyone else it does not exist.
        var answerId = financeAnswer.GetProperty("id").GetString();
        await AssertProblemAsync(await hr.PostJsonAsync("/v1/feedback", new { answerId, rating = "down" }), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(HttpStatusCode.Accepted, (await finance.PostJsonAsync("/v1/feedback", new { answerId, rating = "down", comment = "too vague" })).StatusCode);
        await AssertProblemAsync(await finance.PostJsonAsync("/v1/feedback", new { answerId, rating = "meh" }), HttpStatusCode.BadRequest, "validation_failed");

        // Deleting: the loader key holds no group, so to it the finance document does not exist.
        await AssertProblemAsync(await server.Client(_ingest).DeleteAsync("/v1/collections/shared/documents/finance/bands", Cancel), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(HttpStatusCode.NoContent, (await server.Client(_ingest).DeleteAsync("/v1/collections/shared/documents/handbook", Cancel)).StatusCode);
        var afterDelete = await (await finance.PostJsonAsync("/v1/collections/shared/search", new { query = "salary March", k = 10 })).JsonAsync();
        Assert.False(afterDelete.GetProperty("cached").GetBoolean(), "a write invalidates cached results");
        Assert.Equal(["finance/bands"], afterDelete.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("documentId").GetString()));
    }

    [Fact]
    public async Task ADelegatingKeyActsForItsApplicationsUsersAndOtherKeysMayNot()
    {
        await using var server = await StartAsync();
        await SeedAsync(server);
        var app = _keys.Create("portal", [Scopes.Read, Scopes.Delegate], ["shared"], []).Secret;
        HttpClient As(string key, string? principals)
        {
            var client = server.Client(key);
            if (principals is not null)
            {
                client.DefaultRequestHeaders.Add(Caller.PrincipalsHeader, principals);
            }

            return client;
        }

        Assert.Equal(["handbook"], await SearchAsync(As(app, null), "salary March"));
        Assert.Equal(["finance/bands", "handbook"], (await SearchAsync(As(app, "user:ann, group:finance"), "salary March")).Order(StringComparer.Ordinal));
        Assert.Equal(["handbook", "hr/reviews"], (await SearchAsync(As(app, "user:bob,group:hr"), "salary March")).Order(StringComparer.Ordinal));
        await AssertProblemAsync(await As(_finance, "group:hr").PostJsonAsync("/v1/collections/shared/search", new { query = "salary" }), HttpStatusCode.Forbidden, "forbidden");

        // Answers belong to the user the application acted for.
        var answer = await (await As(app, "user:ann,group:finance").PostJsonAsync("/v1/collections/shared/ask", new { question = "When are salary bands reviewed?" })).JsonAsync();
        var answerId = answer.GetProperty("id").GetString();
        await AssertProblemAsync(await As(app, "user:bob,group:hr").PostJsonAsync("/v1/feedback", new { answerId, rating = "up" }), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(HttpStatusCode.Accepted, (await As(app, "group:finance,user:ann").PostJsonAsync("/v1/feedback", new { answerId, rating = "up" })).StatusCode);
    }

    [Fact]
    public async Task UsersSignedInThroughAnOidcProviderSeeWhatTheirTokensGroupsAllow()
    {
        await using var provider = new LoopbackIdentityProvider();
        await using var server = await StartAsync(o => o with { Oidc = new OidcOptions(provider.Root, "sift-api") { KeyRefreshInterval = TimeSpan.Zero } });
        await SeedAsync(server);
        var query = new { query = "salary March" };

        Assert.Equal(["finance/bands", "handbook"], (await SearchAsync(server.Client(provider.Issue("ann", "sift-api", ["finance"])), "salary March")).Order(StringComparer.Ordinal));
        Assert.Equal(["handbook", "hr/reviews"], (await SearchAsync(server.Client(provider.Issue("bob", "sift-api", ["hr"])), "salary March")).Order(StringComparer.Ordinal));
        Assert.Equal(["handbook"], await SearchAsync(server.Client(provider.Issue("eve", "sift-api")), "salary March"));

        // Tokens that must not pass, each told why; keys keep working beside tokens.
        async Task AssertRefusedAsync(string token, string reason)
        {
            var response = await server.Client(token).PostJsonAsync("/v1/collections/shared/search", query);
            await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_token");
            Assert.Contains(reason, (await response.JsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        await AssertRefusedAsync(provider.Issue("ann", "sift-api", ["finance"], lifetime: TimeSpan.FromMinutes(-5)), "expired");
        await AssertRefusedAsync(provider.Issue("ann", "another-api", ["finance"]), "another audience");
        await AssertRefusedAsync(provider.Issue("ann", "sift-api", ["finance"], issuer: "https://evil.example"), "untrusted issuer");
        await AssertRefusedAsync(provider.Issue("ann", "sift-api", ["finance"], signWith: LoopbackIdentityProvider.NewKey()), "signature");
        var parts = provider.Issue("ann", "sift-api", ["hr"]).Split('.');
        var forged = provider.Issue("ann", "sift-api", ["finance"]).Split('.');
        await AssertRefusedAsync($"{forged[0]}.{forged[1]}.{parts[2]}", "signature");
        Assert.Equal(["finance/bands", "handbook"], (await SearchAsync(server.Client(_finance), "salary March")).Order(StringComparer.Ordinal));

        // Reading is every verified user's; uploading needs the sift.ingest scope; administering needs a key.
        var upload = new { documents = new[] { new { id = "user-note", text = "A note from a user." } } };
        await AssertProblemAsync(await server.Client(provider.Issue("ann", "sift-api", ["finance"])).PostJsonAsync("/v1/collections/shared/documents", upload), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(HttpStatusCode.Accepted, (await server.Client(provider.Issue("ann", "sift-api", ["finance"], scope: "openid sift.ingest")).PostJsonAsync("/v1/collections/shared/documents", upload)).StatusCode);

        // The provider rotates its signing key: the new key is fetched when a token names it.
        var fetches = provider.KeyFetches;
        provider.RotateKey();
        Assert.Equal(["finance/bands", "handbook"], (await SearchAsync(server.Client(provider.Issue("ann", "sift-api", ["finance"])), "salary March")).Order(StringComparer.Ordinal));
        Assert.Equal(fetches + 1, provider.KeyFetches);
    }

    [Fact]
    public async Task TokensNamingUnknownKeysDoNotMakeTheServerRefetchTheProvidersKeysEachTime()
    {
        await using var provider = new LoopbackIdentityProvider();
        await using var server = await StartAsync(o => o with { Oidc = new OidcOptions(provider.Root, "sift-api") });

        // Authenticated (the collection does not exist yet), which fetched the keys once.
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client(provider.Issue("ann", "sift-api")).PostJsonAsync("/v1/collections/shared/search", new { query = "q" })).StatusCode);
        for (var i = 0; i < 5; i++)
        {
            var forged = provider.Issue("ann", "sift-api", signWith: LoopbackIdentityProvider.NewKey());
            await AssertProblemAsync(await server.Client(forged).PostJsonAsync("/v1/collections/shared/search", new { query = "q" }), HttpStatusCode.Unauthorized, "invalid_token");
        }

        Assert.Equal(1, provider.KeyFetches);
    }

    [Fact]
    public async Task AnUnreachableIdentityProviderIsA503NotA401()
    {
        await using var provider = new LoopbackIdentityProvider();
        var token = provider.Issue("ann", "sift-api", ["finance"]);
        var nobody = new Uri($"http://127.0.0.1:{LoopbackServer.FreePort()}/");
        await using var server = await StartAsync(o => o with { Oidc = new OidcOptions(nobody, "sift-api") });

        await AssertProblemAsync(await server.Client(token).PostJsonAsync("/v1/collections/shared/search", new { query = "salary" }), HttpStatusCode.ServiceUnavailable, "unavailable");
        // Keys do not depend on the provider: this one is authenticated (the collection does not exist yet).
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client(_finance).PostJsonAsync("/v1/collections/shared/search", new { query = "salary" })).StatusCode);
        Assert.Equal("OIDC authority", Assert.Throws<Sift.Core.InvalidOptionException>(() => new OidcOptions(new Uri("http://idp.example/"), "sift-api").Validate()).Option);
    }

    [Fact]
    public async Task UploadsRunAsJobsWithPerFileErrorsAndRejectUnsafeOrUnsupportedFiles()
    {
        await using var server = await StartAsync(o => o with { Limits = new ServerLimits { MaxUploadBytes = 200_000 } });
        var client = server.Client(_ingest);

        using (var form = new MultipartFormDataContent())
        {
            form.Add(new StringContent("# Guide\n\nInstall with the installer. Proxy settings matter."), "files", "guide.md");
            form.Add(new StringContent("Plain notes about proxies."), "files", "notes/proxy.txt");
            form.Add(new ByteArrayContent(Encoding.ASCII.GetBytes("%PDF-1.4 broken")), "files", "broken.pdf");
            form.Add(new ByteArrayContent([0x7F, 0x45, 0x4C, 0x46, 0x00, 0x00, 0x01, 0x02]), "files", "binary.txt");
            form.Add(new StringContent("group:finance"), "acl");
            var response = await client.PostAsync("/v1/collections/shared/documents", form, Cancel);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var job = await client.WaitForJobAsync(response.Headers.Location!.ToString());
            Assert.Equal("succeeded", job.GetProperty("status").GetString());
            Assert.Equal(2, job.GetProperty("added").GetInt32());
            Assert.Contains("broken.pdf", Assert.Single(job.GetProperty("errors").EnumerateArray()).GetString(), StringComparison.Ordinal);
            // A file passed over is said, with why, and without the server's upload folder in it.
            var notice = Assert.Single(job.GetProperty("notices").EnumerateArray(), n => n.GetString()!.Contains("binary.txt", StringComparison.Ordinal)).GetString()!;
            Assert.Contains("binary", notice.Replace("binary.txt", "", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.DoesNotContain("uploads", notice, StringComparison.Ordinal);
        }

        Assert.Equal(["guide.md", "notes/proxy.txt"], (await SearchAsync(server.Client(_finance), "proxy")).Order(StringComparer.Ordinal));
        Assert.Empty(await SearchAsync(server.Client(_hr), "proxy"));

        async Task<HttpResponseMessage> UploadAsync(string name, HttpContent content)
        {
            using var form = new MultipartFormDataContent { { content, "files", name } };
            return await client.PostAsync("/v1/collections/shared/documents", form, Cancel);
        }

        await AssertProblemAsync(await UploadAsync("../escape.txt", new StringContent("x")), HttpStatusCode.BadRequest, "validation_failed");
        await AssertProblemAsync(await UploadAsync("/etc/passwd.txt", new StringContent("x")), HttpStatusCode.BadRequest, "validation_failed");
        await AssertProblemAsync(await UploadAsync("tool.exe", new StringContent("x")), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        var tooLarge = await UploadAsync("big.txt", new StringContent(new string('x', 300_000)));
        await AssertProblemAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        Assert.True(tooLarge.Headers.ConnectionClose, "the unread body stays on the wire: the connection must not be reused");
        var huge = new CountingContent(3_000_000);
        using (var form = new MultipartFormDataContent { { huge, "files", "huge.txt" } })
        using (var careful = new HttpRequestMessage(HttpMethod.Post, "/v1/collections/shared/documents") { Content = form })
        {
            // As curl does for large bodies: the client waits for "100 Continue" before sending the body, and is
            // refused without ever sending it.
            careful.Headers.ExpectContinue = true;
            var patient = server.Client(_ingest, new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(30) });
            await AssertProblemAsync(await patient.SendAsync(careful, Cancel), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
            Assert.Equal(0, huge.Sent);
        }

        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var writer = new StreamWriter(archive.CreateEntry("../../outside.txt").Open());
            writer.Write("zip slip");
        }

        await AssertProblemAsync(await UploadAsync("bundle.zip", new ByteArrayContent(zip.ToArray())), HttpStatusCode.BadRequest, "validation_failed");
        Assert.False(File.Exists(Path.Combine(Store, "outside.txt")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Store, "uploads")));

        var invalid = await client.PostJsonAsync("/v1/collections/shared/documents", new { documents = new object[] { new { id = "a" }, new { text = "b" } } });
        await AssertProblemAsync(invalid, HttpStatusCode.BadRequest, "validation_failed");
        var errors = (await invalid.JsonAsync()).GetProperty("errors");
        Assert.Equal(["documents[0].text", "documents[1].id"], errors.EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal));

        var other = server.Client(_otherCollection);
        await AssertProblemAsync(await other.GetAsync((await client.PostJsonAsync("/v1/collections/shared/documents", new { documents = new[] { new { id = "z", text = "zzz" } } })).Headers.Location!, Cancel), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task UploadsAreChunkedLikeTheRestOfTheirCollection()
    {
        var words = string.Join(' ', Enumerable.Range(0, 600).Select(i => $"word{i}"));
        using (var collection = new CollectionStore(Store, CollectionHost.Analyzer).OpenOrCreate("shared"))
        {
            var chunker = new WholeDocumentChunker();
            await new IngestPipeline(LoaderRegistry.Default, chunker, collection, collection.Embedder).RunAsync(new IngestRequest(_folder.File("corpus/first.txt", words)), cancellationToken: Cancel);
            collection.FinishIngest(chunker.Fingerprint);
        }

        await using var server = await StartAsync();
        async Task<int> ChunksOfUploadAsync(string key, string collection)
        {
            var upload = await server.Client(key).PostJsonAsync($"/v1/collections/{collection}/documents", new { documents = new[] { new { id = "long", text = words } } });
            var job = await server.Client(key).WaitForJobAsync(upload.Headers.Location!.ToString());
            return job.GetProperty("chunks").GetInt32();
        }

        Assert.Equal(1, await ChunksOfUploadAsync(_ingest, "shared"));
        Assert.True(await ChunksOfUploadAsync(_admin, "fresh") >= 3, "a new collection gets the default recursive chunker (200 words)");
    }

    [Fact]
    public async Task RequestsAreValidatedFieldByFieldAndRateLimitedPerKey()
    {
        await using var server = await StartAsync(o => o with { Limits = new ServerLimits { RequestsPerMinute = 5, MaxQueryLength = 50 } });
        await SeedAsync(server);
        var client = server.Client(_finance);

        var invalid = await client.PostJsonAsync("/v1/collections/shared/search", new { query = new string('q', 51), k = 1000, mode = "magic" });
        await AssertProblemAsync(invalid, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["k", "mode", "query"], (await invalid.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal));

        using var malformed = new StringContent("{\"query\": ", Encoding.UTF8, "application/json");
        await AssertProblemAsync(await client.PostAsync("/v1/collections/shared/search", malformed, Cancel), HttpStatusCode.BadRequest, "validation_failed");
        using var huge = new StringContent(JsonSerializer.Serialize(new { query = new string('q', 2_000_000) }), Encoding.UTF8, "application/json");
        await AssertProblemAsync(await client.PostAsync("/v1/collections/shared/search", huge, Cancel), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");

        HttpResponseMessage last = new();
        for (var i = 0; i < 5; i++)
        {
            last = await client.PostJsonAsync("/v1/collections/shared/search", new { query = "salary" });
        }

        await AssertProblemAsync(last, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal("60", last.Headers.GetValues("Retry-After").Single());
        Assert.Equal(HttpStatusCode.OK, (await server.Client(_hr).PostJsonAsync("/v1/collections/shared/search", new { query = "salary" })).StatusCode);
    }

    [Fact]
    public async Task AskStreamsTokensAsServerSentEventsThenTheCheckedRecordAndDegradesWhenTheLlmStalls()
    {
        _llm.Answers.Enqueue("Salary bands are reviewed in March [1].");
        var endpoint = new LlmEndpoint(LlmProvider.OpenAiCompatible, _llm.BaseUrl, "test-model", null, TimeSpan.FromSeconds(2), 0, 1m, 2m);
        await using var server = await StartAsync(o => o with { Llm = endpoint, Cache = false });
        await SeedAsync(server);
        var client = server.Client(_finance);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/collections/shared/ask") { Content = JsonContent("{\"question\": \"When are salary bands reviewed?\"}") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Cancel);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = ParseEvents(await response.Content.ReadAsStringAsync(Cancel));
        var tokens = events.Where(e => e.Name == "token").Select(e => e.Data.GetProperty("text").GetString()).ToList();
        Assert.Equal("Salary bands are reviewed in March [1].", string.Concat(tokens));
        Assert.True(tokens.Count > 3, "tokens arrive one by one");
        var (name, answer) = events[^1];
        Assert.Equal("answer", name);
        Assert.Equal("finance/bands", answer.GetProperty("citations")[0].GetProperty("documentId").GetString());
        Assert.Equal(LoopbackChatServer.PromptTokens, answer.GetProperty("tokensIn").GetInt32());
        Assert.True(answer.GetProperty("timingsMs").GetProperty("generate").GetDouble() > 0);
        Assert.False(answer.GetProperty("flags").GetProperty("degraded").GetBoolean());
        // The hidden HR document was never put in the model's context.
        Assert.DoesNotContain("people operations", _llm.Requests[0], StringComparison.Ordinal);

        _llm.Answers.Enqueue("This answer stalls after its first word.");
        _llm.StallAfterFirstChunk = TimeSpan.FromSeconds(10);
        var degraded = await (await client.PostJsonAsync("/v1/collections/shared/ask", new { question = "When are salary bands reviewed?" })).JsonAsync();
        Assert.True(degraded.GetProperty("flags").GetProperty("degraded").GetBoolean());
        Assert.True(degraded.GetProperty("flags").GetProperty("extractive").GetBoolean());
    }

    [Fact]
    public async Task ARequestInFlightWhenTheServerStopsStillGetsItsWholeAnswer()
    {
        _llm.Answers.Enqueue("Salary bands are reviewed in March [1].");
        _llm.StallAfterFirstChunk = TimeSpan.FromSeconds(2);
        var endpoint = new LlmEndpoint(LlmProvider.OpenAiCompatible, _llm.BaseUrl, "test-model", null, TimeSpan.FromSeconds(30), 0);
        await using var server = await StartAsync(o => o with { Llm = endpoint, Cache = false });
        await SeedAsync(server);

        var asking = server.Client(_finance).PostJsonAsync("/v1/collections/shared/ask", new { question = "When are salary bands reviewed?" });
        for (var waited = 0; _llm.Requests.Count == 0 && waited < 100; waited++)
        {
            await Task.Delay(100, Cancel);
        }

        Assert.NotEmpty(_llm.Requests); // the answer is being written when the stop begins
        var stopping = server.StopAsync();
        var response = await asking;
        await stopping;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.JsonAsync();
        Assert.Equal("Salary bands are reviewed in March [1].", answer.GetProperty("answer").GetString());
        Assert.False(answer.GetProperty("flags").GetProperty("degraded").GetBoolean());
        await Assert.ThrowsAsync<HttpRequestException>(() => server.Client(_finance).GetAsync("/healthz", Cancel));
    }

    [Fact]
    public async Task ARequestThatOutlivesItsTimeoutIsCancelledWith504()
    {
        _llm.Answers.Enqueue("A slow answer that never finishes in time.");
        _llm.StallAfterFirstChunk = TimeSpan.FromSeconds(20);
        var endpoint = new LlmEndpoint(LlmProvider.OpenAiCompatible, _llm.BaseUrl, "slow-model", null, TimeSpan.FromSeconds(30), 0);
        await using var server = await StartAsync(o => o with { Llm = endpoint, Cache = false, Limits = new ServerLimits { RequestTimeout = TimeSpan.FromSeconds(1) } });
        await SeedAsync(server);

        var started = System.Diagnostics.Stopwatch.StartNew();
        var response = await server.Client(_finance).PostJsonAsync("/v1/collections/shared/ask", new { question = "When are salary bands reviewed?" });

        await AssertProblemAsync(response, HttpStatusCode.GatewayTimeout, "timeout");
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"the request was cut at its timeout, not the LLM's ({started.Elapsed})");
    }

    [Fact]
    public async Task CollectionsAreWarmedAtStartWithoutRunningAQuery()
    {
        using (var collection = new CollectionStore(Store, CollectionHost.Analyzer).OpenOrCreate("shared"))
        {
            var chunker = new WholeDocumentChunker();
            await new IngestPipeline(LoaderRegistry.Default, chunker, collection, collection.Embedder).RunAsync(new IngestRequest(_folder.File("corpus/a.txt", "Salary bands are reviewed in March.")), cancellationToken: Cancel);
            collection.FinishIngest(chunker.Fingerprint);
        }

        Directory.CreateDirectory(Path.Combine(Store, "broken"));
        File.WriteAllText(Path.Combine(Store, "broken", "collection.db"), "this is not a database");
        await using var server = await StartAsync();

        var states = await server.Services.GetRequiredService<WarmUp>().Completed.WaitAsync(TimeSpan.FromSeconds(30), Cancel);
        Assert.Equal("ready", states["shared"]);
        Assert.StartsWith("broken", states["broken"], StringComparison.Ordinal);
        // The query log is this server's own (stage metrics are not: the meter is shared by every test in the process).
        using (var log = new QueryLog(Store))
        {
            Assert.Equal(0, log.Count());
        }

        Assert.Equal(["a.txt"], (await SearchAsync(server.Client(_finance), "salary")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task HttpsServesWithTheGivenCertificate()
    {
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(
            "CN=127.0.0.1", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        var names = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certificateFile = _folder.File("tls/cert.pem", certificate.ExportCertificatePem());
        var keyFile = _folder.File("tls/key.pem", key.ExportPkcs8PrivateKeyPem());

        await using var server = await RunningServer.StartAsync(new ServerOptions { StoreRoot = Store, TlsCertificate = certificateFile, TlsKey = keyFile }, "https://127.0.0.1:0");
        Assert.Equal("https", server.Root.Scheme);
        string? presented = null;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, served, _, _) => (presented = served?.Thumbprint) == certificate.Thumbprint,
        };
        var response = await server.Client(_finance, handler).PostJsonAsync("/v1/collections/shared/search", new { query = "salary" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode); // authenticated over TLS; the collection is empty
        Assert.Equal(certificate.Thumbprint, presented);
        var error = Assert.Throws<Sift.Core.InvalidOptionException>(() => SiftServer.Build(new ServerOptions { StoreRoot = Store }, ["https://127.0.0.1:0"]));
        Assert.Equal("TLS certificate", error.Option);
        Assert.Contains("https://127.0.0.1:0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheExactCacheStaysWithinItsMemoryBudget()
    {
        await using var server = await StartAsync(o => o with { CacheMemoryBytes = 16_000 });
        await SeedAsync(server);
        var client = server.Client(_admin);
        for (var i = 0; i < 60; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/v1/collections/shared/search", new { query = $"salary question number {i}" })).StatusCode);
        }

        var memory = server.Services.GetRequiredService<Microsoft.Extensions.Caching.Memory.IMemoryCache>().GetCurrentStatistics()!;
        Assert.InRange(memory.CurrentEstimatedSize!.Value, 1, 16_000);
        Assert.True(memory.CurrentEntryCount < 60, $"{memory.CurrentEntryCount} entries kept: the budget should have evicted some");
    }

    [Fact]
    public async Task FinishedJobsAreForgottenAfterTheRetentionPeriod()
    {
        await using var server = await StartAsync();
        var client = server.Client(_ingest);
        var upload = await client.PostJsonAsync("/v1/collections/shared/documents", new { documents = new[] { new { id = "a", text = "text" } } });
        var location = upload.Headers.Location!.ToString();
        Assert.Equal("succeeded", (await client.WaitForJobAsync(location)).GetProperty("status").GetString());
        var jobs = server.Services.GetRequiredService<Sift.Server.Jobs.IngestJobs>();

        Assert.Equal(0, jobs.Prune(TimeSpan.FromDays(1)));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(location, Cancel)).StatusCode);
        Assert.Equal(1, jobs.Prune(TimeSpan.Zero));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(location, Cancel)).StatusCode);
    }

    [Fact]
    public async Task HealthReadinessMetricsAndOpenApiDescribeTheService()
    {
        var broken = Path.Combine(Store, "broken");
        Directory.CreateDirectory(broken);
        File.WriteAllText(Path.Combine(broken, "collection.db"), "this is not a database");
        await using var server = await StartAsync();
        await SeedAsync(server);
        var anonymous = server.Client();

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz", Cancel)).StatusCode);
        // Without a key, readiness says ready and nothing about collections; a key sees the collections it may use.
        var anonymousReady = await (await anonymous.GetAsync("/readyz", Cancel)).JsonAsync();
        Assert.Equal("{\"status\":\"ready\"}", anonymousReady.GetRawText());
        var admin = server.Client(_admin);
        var ready = await (await admin.GetAsync("/readyz", Cancel)).JsonAsync();
        Assert.Equal("ready", ready.GetProperty("collections").GetProperty("shared").GetString());
        Assert.StartsWith("broken", ready.GetProperty("collections").GetProperty("broken").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/readyz/shared", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await admin.GetAsync("/readyz/broken", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/readyz/shared", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client(_finance).GetAsync("/readyz/broken", Cancel)).StatusCode);

        var client = server.Client(_finance);
        await SearchAsync(client, "salary");
        await SearchAsync(client, "salary");
        await client.PostJsonAsync("/v1/collections/shared/ask", new { question = "When are salary bands reviewed?" });
        var metrics = await anonymous.GetStringAsync("/metrics", Cancel);
        Assert.Matches(@"sift_cache_requests_total\{[^}]*kind=""exact""[^}]*result=""hit""[^}]*\} 1", metrics);
        Assert.Contains("sift_stage_duration_milliseconds_bucket{", metrics, StringComparison.Ordinal);
        Assert.Contains("stage=\"bm25\"", metrics, StringComparison.Ordinal);
        Assert.Contains("stage=\"cite-check\"", metrics, StringComparison.Ordinal);
        Assert.Contains("sift_retrieval_top_score", metrics, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds_bucket{", metrics, StringComparison.Ordinal);
        Assert.Contains("http_route=\"/v1/collections/{c}/search\"", metrics, StringComparison.Ordinal);

        var openApi = await (await anonymous.GetAsync("/openapi/v1.json", Cancel)).JsonAsync();
        var paths = openApi.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/v1/collections/{c}/ask", paths);
        Assert.Contains("/v1/jobs/{id}", paths);
        Assert.Equal("bearer", openApi.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
        var search = openApi.GetProperty("paths").GetProperty("/v1/collections/{c}/search").GetProperty("post");
        Assert.Equal(1, search.GetProperty("security").GetArrayLength());
        Assert.Equal("#/components/schemas/SearchResult", search.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        Assert.True(search.GetProperty("responses").GetProperty("404").GetProperty("content").TryGetProperty("application/problem+json", out _));
        Assert.False(openApi.GetProperty("paths").GetProperty("/healthz").GetProperty("get").TryGetProperty("security", out _));
        var schemas = openApi.GetProperty("components").GetProperty("schemas");
        // Only what a request must carry is required; k is an integer; mode is an enum; uploads declare their bodies.
        var searchRequest = schemas.GetProperty("SearchRequest");
        Assert.Equal(["query"], searchRequest.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.DoesNotContain("string", searchRequest.GetProperty("properties").GetProperty("k").GetRawText(), StringComparison.Ordinal);
        Assert.Equal(["bm25", "dense", "hybrid"], searchRequest.GetProperty("properties").GetProperty("mode").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["answerId", "rating"], schemas.GetProperty("FeedbackRequest").GetProperty("required").EnumerateArray().Select(r => r.GetString()).Order());
        var uploadBody = openApi.GetProperty("paths").GetProperty("/v1/collections/{c}/documents").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        Assert.True(uploadBody.TryGetProperty("application/json", out _) && uploadBody.TryGetProperty("multipart/form-data", out _));
        Assert.True(schemas.GetProperty("AnswerResult").GetProperty("properties").TryGetProperty("citations", out _));
        Assert.True(schemas.GetProperty("IngestJob").GetProperty("properties").TryGetProperty("status", out _));

        var searchResponse = await client.PostJsonAsync("/v1/collections/shared/search", new { query = "salary" });
        Assert.False(string.IsNullOrEmpty(searchResponse.Headers.GetValues("X-Request-Id").Single()));
    }

    [Fact]
    public async Task TheQueryLogRecordsSearchesAndAnswersAndCanRedactQueries()
    {
        await using (var server = await StartAsync(o => o with { RedactQueries = true }))
        {
            await SeedAsync(server);
            await SearchAsync(server.Client(_finance), "secret salary question");
            await server.Client(_finance).PostJsonAsync("/v1/collections/shared/ask", new { question = "secret salary question?" });
        }

        using var log = new Sift.Generation.Logging.QueryLog(Store);
        Assert.Equal(2, log.Count());
        var answer = Assert.Single(log.Read());
        Assert.Null(answer.Question);
        Assert.Equal("shared", answer.Collection);
        Assert.Contains("finance/bands", answer.Documents);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Assert.DoesNotContain("secret salary", File.ReadAllText(Path.Combine(Store, Sift.Generation.Logging.QueryLog.FileName), Encoding.Latin1), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnIngestionJobLeftQueuedWhenTheServerStoppedResumesAtTheNextStart()
    {
        var options = new ServerOptions { StoreRoot = Store };
        string jobId;
        using (var host = new CollectionHost(options))
        {
            // What a server killed right after accepting an upload leaves behind: saved files and a queued job.
            var jobs = new Sift.Server.Jobs.IngestJobs(options, host, Microsoft.Extensions.Logging.Abstractions.NullLogger<Sift.Server.Jobs.IngestJobs>.Instance);
            var (id, folder) = jobs.NewUpload();
            File.WriteAllText(Path.Combine(folder, "resumed.txt"), "A document whose job outlived the server.");
            var loader = _keys.List().First(k => k.Name == "loader").Id;
            jobId = jobs.Enqueue(id, "shared", loader, new Sift.Server.Jobs.JobWriter(loader, [$"key:{loader}"]), null).Id;
        }

        await using var server = await StartAsync();
        var job = await server.Client(_ingest).WaitForJobAsync($"/v1/jobs/{jobId}");
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(["resumed.txt"], await SearchAsync(server.Client(_finance), "outlived server"));
    }

    [Fact]
    public void TheServerRefusesToStartInsecurely()
    {
        var empty = _folder.Combine("empty-store");
        var noKeys = Assert.Throws<Core.InvalidOptionException>(() => SiftServer.Build(new ServerOptions { StoreRoot = empty }, ["http://127.0.0.1:0"]));
        Assert.Equal("API keys", noKeys.Option);
        Assert.Contains("sift keys create", noKeys.Message, StringComparison.Ordinal);
        var exposed = Assert.Throws<Core.InvalidOptionException>(() => SiftServer.Build(new ServerOptions { StoreRoot = empty, RequireKeys = false }, ["http://0.0.0.0:8080"]));
        Assert.Equal("no auth", exposed.Option);
        Assert.Contains("loopback", exposed.Message, StringComparison.Ordinal);
    }

    private static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");

    private static List<(string Name, JsonElement Data)> ParseEvents(string stream) =>
        [.. stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(block =>
        {
            var lines = block.Split('\n');
            var name = lines.First(l => l.StartsWith("event: ", StringComparison.Ordinal))["event: ".Length..];
            using var data = JsonDocument.Parse(lines.First(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..]);
            return (name, data.RootElement.Clone());
        })];
}
