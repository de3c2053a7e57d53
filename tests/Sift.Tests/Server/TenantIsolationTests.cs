using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sift.Core.Filtering;
using Sift.Server;
using Sift.Server.Auth;
using Sift.Server.Jobs;
using Sift.Tests.Support;

namespace Sift.Tests.Server;

/// <summary>
/// The security suite of docs/security.md, through the real server over loopback with two tenants (A and B) sharing a
/// collection: writes, scopes, statistics, names and counts, failed authentication, cache keys, hostile uploads and
/// files, and job bookkeeping across a restart. Each test is the reproduction of an attack, turned into an assertion
/// that it no longer works.
/// </summary>
[Collection(CacheCounters.Name)]
public sealed class TenantIsolationTests : IAsyncDisposable
{
    private readonly TempFolder _folder = new();
    private readonly ApiKeyStore _keys;
    private readonly string _tenantA;
    private readonly string _tenantB;
    private readonly string _readerB;

    public TenantIsolationTests()
    {
        _keys = new ApiKeyStore(Store);
        _tenantA = _keys.Create("tenant-a", [Scopes.Read, Scopes.Ingest], ["shared", "only-b", "a-docs"], ["group:a"]).Secret;
        _tenantB = _keys.Create("tenant-b", [Scopes.Read, Scopes.Ingest], ["shared", "only-b", "b-docs"], ["group:b"]).Secret;
        _readerB = _keys.Create("reader-b", [Scopes.Read], ["shared", "only-b"], ["group:b"]).Secret;
    }

    private string Store => _folder.Combine("store");

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync()
    {
        _folder.Dispose();
        return ValueTask.CompletedTask;
    }

    private Task<RunningServer> StartAsync(Func<ServerOptions, ServerOptions>? configure = null)
    {
        var options = new ServerOptions { StoreRoot = Store };
        return RunningServer.StartAsync(configure?.Invoke(options) ?? options);
    }

    private static async Task<JsonElement> UploadAsync(HttpClient client, string collection, params object[] documents)
    {
        var response = await client.PostJsonAsync($"/v1/collections/{collection}/documents", new { documents });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await client.WaitForJobAsync(response.Headers.Location!.ToString());
    }

    private static async Task<JsonElement> UploadFilesAsync(HttpClient client, string collection, params (string Name, byte[] Content)[] files)
    {
        var response = await client.PostAsync($"/v1/collections/{collection}/documents", Multipart(files), Cancel);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await client.WaitForJobAsync(response.Headers.Location!.ToString());
    }

    private static MultipartFormDataContent Multipart(IEnumerable<(string Name, byte[] Content)> files, string? acl = null)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, content) in files)
        {
            form.Add(new ByteArrayContent(content), "files", name);
        }

        if (acl is not null)
        {
            form.Add(new StringContent(acl), "acl");
        }

        return form;
    }

    private static async Task<Dictionary<string, double>> ScoresAsync(HttpClient client, string collection, string query)
    {
        var response = await client.PostJsonAsync($"/v1/collections/{collection}/search", new { query, k = 20, mode = "bm25" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.JsonAsync()).GetProperty("results").EnumerateArray()
            .ToDictionary(r => r.GetProperty("documentId").GetString()!, r => r.GetProperty("score").GetDouble());
    }

    private static async Task<string> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.JsonAsync();
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.DoesNotContain("   at ", problem.GetRawText(), StringComparison.Ordinal);
        return problem.GetRawText();
    }

    private static byte[] Zip(params (string Name, string Text)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, text) in entries)
            {
                using var writer = new StreamWriter(archive.CreateEntry(name).Open());
                writer.Write(text);
            }
        }

        return buffer.ToArray();
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task AWriteCannotReplaceOrRevealADocumentTheWriterCannotSee()
    {
        await using var server = await StartAsync();
        var (a, b) = (server.Client(_tenantA), server.Client(_tenantB));
        const string secret = "The merger plan with quuxcorp closes in May.";
        Assert.Equal(1, (await UploadAsync(a, "shared", new { id = "secretA/merger-plan.txt", text = secret, acl = new[] { "group:a" } })).GetProperty("added").GetInt32());

        // B writes to A's hidden id: as JSON, with the same text (which would otherwise be "unchanged"), and as a file.
        var attempts = new[]
        {
            await UploadAsync(b, "shared", new { id = "secretA/merger-plan.txt", text = "overwritten", acl = new[] { "group:b" } }),
            await UploadAsync(b, "shared", new { id = "secretA/merger-plan.txt", text = secret, acl = new[] { "group:a" } }),
            await UploadFilesAsync(b, "shared", ("secretA/merger-plan.txt", Utf8("overwritten by a file"))),
        };

        // The answer B gets for an id it can cause to be taken itself (a document it wrote for another group).
        await UploadAsync(b, "shared", new { id = "b/for-c.txt", text = "for group c", acl = new[] { "group:c" } });
        var own = await UploadAsync(b, "shared", new { id = "b/for-c.txt", text = "changed" });
        // Errors start with the uploaded file's name (records.jsonl for JSON uploads, the file's own name otherwise).
        static string Shape(JsonElement job, string id) =>
            $"{job.GetProperty("status")} added={job.GetProperty("added")} updated={job.GetProperty("updated")} unchanged={job.GetProperty("unchanged")} "
            + string.Join('|', job.GetProperty("errors").EnumerateArray().Select(e => e.GetString()![(e.GetString()!.IndexOf(": ", StringComparison.Ordinal) + 2)..].Replace(id, "ID", StringComparison.Ordinal)));
        var expected = Shape(own, "b/for-c.txt");
        Assert.Contains("is taken", expected, StringComparison.Ordinal);
        Assert.All(attempts, attempt => Assert.Equal(expected, Shape(attempt, "secretA/merger-plan.txt")));

        var found = await (await a.PostJsonAsync("/v1/collections/shared/search", new { query = "merger plan quuxcorp" })).JsonAsync();
        Assert.Equal(secret, found.GetProperty("results")[0].GetProperty("text").GetString());
        Assert.Empty(await ScoresAsync(b, "shared", "merger plan quuxcorp overwritten"));

        // A, who can see its document, may still replace it.
        Assert.Equal(1, (await UploadAsync(a, "shared", new { id = "secretA/merger-plan.txt", text = "The merger is off.", acl = new[] { "group:a" } })).GetProperty("updated").GetInt32());
    }

    [Fact]
    public async Task ScopesAreExplicitAndAdminGrantsNeitherDelegationNorDocuments()
    {
        await using var server = await StartAsync();
        await UploadAsync(server.Client(_tenantA), "shared", new { id = "secretA/plan.txt", text = "Secret acquisition plan.", acl = new[] { "group:a" } });
        var admin = _keys.Create("admin-b", [Scopes.Admin, Scopes.Read], ["*"], ["group:b"]).Secret;
        var onlyAdmin = _keys.Create("admin-only", [Scopes.Admin], ["*"], []).Secret;

        var delegating = server.Client(admin);
        delegating.DefaultRequestHeaders.Add(Caller.PrincipalsHeader, "group:a");
        await ProblemAsync(await delegating.PostJsonAsync("/v1/collections/shared/search", new { query = "acquisition plan" }), HttpStatusCode.Forbidden, "forbidden");
        Assert.Empty(await ScoresAsync(server.Client(admin), "shared", "acquisition plan"));
        await ProblemAsync(await server.Client(onlyAdmin).PostJsonAsync("/v1/collections/shared/search", new { query = "plan" }), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAsync(await server.Client(onlyAdmin).PostJsonAsync("/v1/collections/shared/documents", new { documents = new[] { new { id = "x", text = "y" } } }), HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task ScoresDependOnlyOnDocumentsTheCallerMaySee()
    {
        await using var server = await StartAsync();
        var (a, b) = (server.Client(_tenantA), server.Client(_tenantB));
        var bDocuments = new object[]
        {
            new { id = "b/notes.txt", text = "Our supplier quuxcorp ships florblenix parts on Mondays.", acl = new[] { "group:b" } },
            new { id = "public/faq.txt", text = "Shipping happens on weekdays; parts arrive within a week." },
        };
        await UploadAsync(b, "shared", bDocuments);
        await UploadAsync(a, "shared", Enumerable.Range(0, 30).Select(i => (object)new { id = $"a/{i}.txt", text = $"quuxcorp memo {i}: quuxcorp pricing and quuxcorp shipping terms.", acl = new[] { "group:a" } }).ToArray());
        // The same visible documents alone in a collection of their own.
        await UploadAsync(b, "only-b", bDocuments);

        var reader = server.Client(_readerB);
        foreach (var query in (string[])["quuxcorp", "florblenix", "shipping parts", "quuxcorp florblenix weekdays"])
        {
            var shared = await ScoresAsync(reader, "shared", query);
            var alone = await ScoresAsync(reader, "only-b", query);
            Assert.Equal(alone.OrderBy(p => p.Key, StringComparer.Ordinal), shared.OrderBy(p => p.Key, StringComparer.Ordinal));
        }

        // The original probe: each term occurs once in B's one document, so hidden documents must not split their scores.
        Assert.Equal((await ScoresAsync(reader, "shared", "florblenix"))["b/notes.txt"], (await ScoresAsync(reader, "shared", "quuxcorp"))["b/notes.txt"]);
    }

    [Fact]
    public async Task CollectionNamesCountsAndVersionsRevealNothingHidden()
    {
        await using var server = await StartAsync();
        var (a, b) = (server.Client(_tenantA), server.Client(_tenantB));
        await UploadAsync(a, "a-docs", new { id = "a.txt", text = "tenant a only" });
        await UploadAsync(b, "shared", new { id = "b.txt", text = "b's document", acl = new[] { "group:b" } });

        var anonymous = server.Client();
        Assert.Equal("{\"status\":\"ready\"}", (await (await anonymous.GetAsync("/readyz", Cancel)).JsonAsync()).GetRawText());
        await ProblemAsync(await anonymous.GetAsync("/readyz/a-docs", Cancel), HttpStatusCode.Unauthorized, "unauthorized");
        static string Detail(string problem) => JsonDocument.Parse(problem).RootElement.GetProperty("detail").GetString()!;
        var notMine = Detail(await ProblemAsync(await b.GetAsync("/readyz/a-docs", Cancel), HttpStatusCode.NotFound, "not_found"));
        var missing = Detail(await ProblemAsync(await b.GetAsync("/readyz/b-docs", Cancel), HttpStatusCode.NotFound, "not_found"));
        Assert.Equal(notMine.Replace("a-docs", "X", StringComparison.Ordinal), missing.Replace("b-docs", "X", StringComparison.Ordinal));
        var ready = await (await b.GetAsync("/readyz", Cancel)).JsonAsync();
        Assert.Equal(["shared"], ready.GetProperty("collections").EnumerateObject().Select(p => p.Name));

        async Task<JsonElement> Info(HttpClient client) => await (await client.GetAsync("/v1/collections/shared", Cancel)).JsonAsync();
        var before = await Info(a);
        Assert.Equal(0, before.GetProperty("documents").GetInt32());
        Assert.Equal(0, before.GetProperty("chunks").GetInt32());

        await UploadAsync(b, "shared", new { id = "b2.txt", text = "another of b's", acl = new[] { "group:b" } });
        var after = await Info(a);
        Assert.Equal(before.GetRawText(), after.GetRawText());
        Assert.NotEqual((await Info(b)).GetProperty("version").GetString(), before.GetProperty("version").GetString());

        await UploadAsync(b, "shared", new { id = "public.txt", text = "for everyone" });
        var withPublic = await Info(a);
        Assert.Equal(1, withPublic.GetProperty("documents").GetInt32());
        Assert.NotEqual(before.GetProperty("version").GetString(), withPublic.GetProperty("version").GetString());
    }

    [Fact]
    public async Task FailedAuthenticationIsLimitedPerAddressWithoutLockingOutOthers()
    {
        await using var server = await StartAsync(o => o with { Limits = o.Limits with { FailedAuthBurst = 20 } });
        var guesser = server.Client("sift_000000000000_guess");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 60; i++)
        {
            statuses.Add((await guesser.PostJsonAsync("/v1/collections/shared/search", new { query = "x" })).StatusCode);
        }

        Assert.Equal(20, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(40, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        var limited = await guesser.PostJsonAsync("/v1/collections/shared/search", new { query = "x" });
        await ProblemAsync(limited, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);

        // Another client address is not affected (Linux routes all of 127.0.0.0/8 to loopback).
        var elsewhere = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancel) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancel);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        var other = server.Client(_readerB, elsewhere);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostJsonAsync("/v1/collections/shared/search", new { query = "x" })).StatusCode); // authenticated; no such collection yet
    }

    [Fact]
    public void FailedAuthenticationBacksOffExponentiallyAndForgivesAfterARefill()
    {
        var clock = new ManualClock();
        var throttle = new FailedAuthThrottle(3, clock);
        var address = IPAddress.Parse("10.0.0.1");
        Assert.Null(throttle.Failed(address));
        Assert.Null(throttle.Failed(address));
        Assert.Null(throttle.Failed(address));
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.Failed(address));
        Assert.NotNull(throttle.RetryAfter(address));
        Assert.Null(throttle.RetryAfter(IPAddress.Parse("10.0.0.2")));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(2), throttle.Failed(address)); // 1/20 of a token refilled in a second: still empty
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromSeconds(4), throttle.Failed(address));
        clock.Advance(TimeSpan.FromMinutes(1)); // a full refill: the slate is clean
        Assert.Null(throttle.RetryAfter(address));
        Assert.Null(throttle.Failed(address));
    }

    [Fact]
    public async Task FiltersThatMeanDifferentThingsNeverShareACacheEntry()
    {
        await using var server = await StartAsync();
        var b = server.Client(_tenantB);
        await UploadAsync(b, "shared",
            new { id = "comma.txt", text = "report on widgets", metadata = new Dictionary<string, string> { ["team"] = "x,y" } },
            new { id = "x.txt", text = "report on widgets", metadata = new Dictionary<string, string> { ["team"] = "x" } },
            new { id = "semicolon.txt", text = "report on widgets", metadata = new Dictionary<string, string> { ["a"] = "1;b=2" } },
            new { id = "two.txt", text = "report on widgets", metadata = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" } });

        async Task<(bool Cached, string[] Ids)> Search(object filters)
        {
            var result = await (await b.PostJsonAsync("/v1/collections/shared/search", new { query = "widgets report", filters })).JsonAsync();
            return (result.GetProperty("cached").GetBoolean(), [.. result.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("documentId").GetString()!)]);
        }

        Assert.Equal(["comma.txt"], (await Search(new { team = "x,y" })).Ids);
        var list = await Search(new { team = new[] { "x", "y" } });
        Assert.False(list.Cached);
        Assert.Equal(["x.txt"], list.Ids);
        Assert.Equal(["semicolon.txt"], (await Search(new Dictionary<string, string> { ["a"] = "1;b=2" })).Ids);
        var pair = await Search(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });
        Assert.False(pair.Cached);
        Assert.Equal(["two.txt"], pair.Ids);
        Assert.True((await Search(new { team = new[] { "y", "x" } })).Cached, "the same set in another order is the same filter");
    }

    [Fact]
    public void CacheKeysOfRandomFiltersCollideExactlyWhenTheFiltersAreEqual()
    {
        var random = new Random(2026);
        string[] alphabet = ["a", "b", ",", ";", "=", "|", "\"", "\\", "[", "]", "x,y", ""];
        string Piece() => string.Concat(Enumerable.Range(0, random.Next(1, 4)).Select(_ => alphabet[random.Next(alphabet.Length)]));
        MetadataFilter RandomFilter() => new(Enumerable.Range(0, random.Next(0, 4)).Select(_ => KeyValuePair.Create(Piece(), Piece())));
        static string Meaning(MetadataFilter filter) => string.Join("\u0001", filter.Conditions.OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => $"{c.Key.Length}:{c.Key}={string.Join("\u0002", c.Value.Order(StringComparer.Ordinal).Select(v => $"{v.Length}:{v}"))}"));

        var collisions = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var (x, y) = (RandomFilter(), RandomFilter());
            var sameKey = QueryService.Options("bm25", 10, QueryService.Describe(x)) == QueryService.Options("bm25", 10, QueryService.Describe(y));
            var sameMeaning = Meaning(x) == Meaning(y);
            Assert.True(sameKey == sameMeaning, $"filters {Meaning(x)} and {Meaning(y)}: same key {sameKey}, same meaning {sameMeaning}");
            collisions += sameKey ? 1 : 0;
        }

        Assert.True(collisions > 0, "the random pairs should include some equal filters, or the test proves little");
    }

    [Fact]
    public async Task EmptyAccessListsAndHiddenFileNamesAreRefused()
    {
        await using var server = await StartAsync();
        var b = server.Client(_tenantB);
        var commas = await b.PostAsync("/v1/collections/shared/documents", Multipart([("memo.txt", Utf8("memo"))], acl: ",,,"), Cancel);
        Assert.Contains("access list is empty", await ProblemAsync(commas, HttpStatusCode.BadRequest, "validation_failed"), StringComparison.Ordinal);
        var emptyJson = await b.PostJsonAsync("/v1/collections/shared/documents", new { documents = new[] { new { id = "m", text = "memo", acl = Array.Empty<string>() } } });
        Assert.Contains("documents[0].acl", await ProblemAsync(emptyJson, HttpStatusCode.BadRequest, "validation_failed"), StringComparison.Ordinal);
        foreach (var name in (string[])[".txt", "..txt", "notes/.hidden.md"])
        {
            var response = await b.PostAsync("/v1/collections/shared/documents", Multipart([(name, Utf8("text"))]), Cancel);
            Assert.Contains(name.Split('/')[^1], await ProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed"), StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(Path.Combine(Store, "shared")), "nothing was written");
    }

    [Fact]
    public async Task MalformedBodiesAreA400NamingTheProblemNeverA500()
    {
        await using var server = await StartAsync();
        var b = server.Client(_tenantB);
        static StringContent Raw(string body, string contentType)
        {
            var content = new StringContent(body);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            return content;
        }

        var truncated = Raw("--XbOuNdArY\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n\r\nno closing boundary", "multipart/form-data; boundary=XbOuNdArY");
        Assert.Contains("multipart body", await ProblemAsync(await b.PostAsync("/v1/collections/shared/documents", truncated, Cancel), HttpStatusCode.BadRequest, "validation_failed"), StringComparison.Ordinal);
        var notMultipart = Raw("this is not multipart at all", "multipart/form-data; boundary=XbOuNdArY");
        await ProblemAsync(await b.PostAsync("/v1/collections/shared/documents", notMultipart, Cancel), HttpStatusCode.BadRequest, "validation_failed");
        var nullDocument = Raw("{\"documents\":[null]}", "application/json");
        Assert.Contains("documents[0]", await ProblemAsync(await b.PostAsync("/v1/collections/shared/documents", nullDocument, Cancel), HttpStatusCode.BadRequest, "validation_failed"), StringComparison.Ordinal);
        var badId = await b.PostJsonAsync("/v1/collections/shared/documents", new { documents = new[] { new { id = "a\u0000b", text = "x" } } });
        Assert.Contains("control characters", await ProblemAsync(badId, HttpStatusCode.BadRequest, "validation_failed"), StringComparison.Ordinal);

        // JSON of the wrong shape names the field and the shape it needs.
        var filters = await b.PostAsync("/v1/collections/shared/search", Raw("{\"query\":\"x\",\"filters\":[\"x\"]}", "application/json"), Cancel);
        var problem = await ProblemAsync(filters, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Contains("\"filters\"", problem, StringComparison.Ordinal);
        Assert.Contains("an object of metadata key", problem, StringComparison.Ordinal);
        var acl = await b.PostAsync("/v1/collections/shared/documents", Raw("{\"documents\":[{\"id\":\"a\",\"text\":\"x\",\"acl\":\"group:b\"}]}", "application/json"), Cancel);
        Assert.Contains("an array of principals", await ProblemAsync(acl, HttpStatusCode.BadRequest, "validation_failed"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheHttpContractAnswersEveryErrorAsAProblemAndHidesServerPaths()
    {
        await using var server = await StartAsync();
        var b = server.Client(_tenantB);
        await UploadFilesAsync(b, "shared", ("notes/ocelot.txt", Utf8("The ocelot is a wild cat of the Americas.")));

        await ProblemAsync(await b.GetAsync("/v1/no/such/route", Cancel), HttpStatusCode.NotFound, "not_found");
        await ProblemAsync(await b.PutAsync("/v1/collections/shared/search", new StringContent("{}"), Cancel), HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        var form = new FormUrlEncodedContent([KeyValuePair.Create("query", "x")]);
        await ProblemAsync(await b.PostAsync("/v1/collections/shared/search", form, Cancel), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");

        // Sources are file names, never the server's upload folder or the path the CLI read from.
        var search = await (await b.PostJsonAsync("/v1/collections/shared/search", new { query = "ocelot" })).JsonAsync();
        Assert.Equal("ocelot.txt", search.GetProperty("results")[0].GetProperty("source").GetString());
        Assert.DoesNotContain(Store, search.GetRawText(), StringComparison.Ordinal);
        var answer = await (await b.PostJsonAsync("/v1/collections/shared/ask", new { question = "What is an ocelot?" })).JsonAsync();
        Assert.DoesNotContain(Store, answer.GetRawText(), StringComparison.Ordinal);

        // Generated clients encode the "/" inside an id.
        Assert.Equal(HttpStatusCode.NoContent, (await b.DeleteAsync("/v1/collections/shared/documents/notes%2Focelot.txt", Cancel)).StatusCode);
        Assert.Empty(await ScoresAsync(b, "shared", "ocelot"));
    }

    [Fact]
    public async Task WithoutAnLlmTheStreamStillCarriesTheAnswerAsTokens()
    {
        await using var server = await StartAsync();
        var b = server.Client(_tenantB);
        await UploadAsync(b, "shared", new { id = "pumps.txt", text = "Centrifugal pumps need their seals checked every month." });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/collections/shared/ask") { Content = JsonContent.Create(new { question = "How often are pump seals checked?" }) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var stream = await (await b.SendAsync(request, Cancel)).Content.ReadAsStringAsync(Cancel);
        var tokens = string.Concat(stream.Split("\n\n").Where(e => e.StartsWith("event: token", StringComparison.Ordinal))
            .Select(e => JsonDocument.Parse(e.Split("data: ")[1]).RootElement.GetProperty("text").GetString()));
        var final = JsonDocument.Parse(stream.Split("\n\n").Single(e => e.StartsWith("event: answer", StringComparison.Ordinal)).Split("data: ")[1]).RootElement;
        Assert.Equal(final.GetProperty("answer").GetString(), tokens);
        Assert.True(final.GetProperty("flags").GetProperty("extractive").GetBoolean());
    }

    [Fact]
    public async Task AnAdminKeyFollowsJobsOnlyOfCollectionsItMayUse()
    {
        await using var server = await StartAsync();
        var upload = await server.Client(_tenantA).PostJsonAsync("/v1/collections/a-docs/documents", new { documents = new[] { new { id = "a", text = "text" } } });
        var location = upload.Headers.Location!.ToString();
        await server.Client(_tenantA).WaitForJobAsync(location);
        var otherAdmin = _keys.Create("admin-of-b", [Scopes.Admin, Scopes.Ingest], ["b-docs"], []).Secret;
        var allAdmin = _keys.Create("admin-of-all", [Scopes.Admin, Scopes.Ingest], ["*"], []).Secret;

        await ProblemAsync(await server.Client(_tenantB).GetAsync(location, Cancel), HttpStatusCode.NotFound, "not_found");
        await ProblemAsync(await server.Client(otherAdmin).GetAsync(location, Cancel), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(HttpStatusCode.OK, (await server.Client(allAdmin).GetAsync(location, Cancel)).StatusCode);
    }

    [Fact]
    public async Task ClashingNamesInAnUploadAreA400NamingTheEntryNeverA500()
    {
        await using var server = await StartAsync();
        var b = server.Client(_tenantB);
        var cases = new (string Expect, (string, byte[])[] Files)[]
        {
            ("a.txt", [("twice.zip", Zip(("a.txt", "one"), ("a.txt", "two")))]),
            ("a.txt/b.txt", [("nested.zip", Zip(("a.txt", "file"), ("a.txt/b.txt", "inside a file")))]),
            ("c.txt", [("c.txt", Utf8("plain")), ("with-c.zip", Zip(("c.txt", "zipped")))]),
            ("d.txt/e.txt", [("d.txt", Utf8("file")), ("d.txt/e.txt", Utf8("inside a file"))]),
            ("'f'", [("f/g.txt", Utf8("inside f")), ("f", Utf8("no extension"))]),
        };
        foreach (var (expect, files) in cases)
        {
            var response = await b.PostAsync("/v1/collections/shared/documents", Multipart(files), Cancel);
            Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
            var problem = response.StatusCode == HttpStatusCode.UnsupportedMediaType
                ? await ProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type")
                : await ProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
            Assert.True(problem.Contains(expect, StringComparison.Ordinal), $"{expect} is not named in {problem}");
        }

        Assert.False(Directory.EnumerateFiles(Path.Combine(Store, "uploads"), "*", SearchOption.AllDirectories).Any(), "a refused upload leaves no file behind");
    }

    [Fact]
    public async Task AHostileFileFailsAloneAndQuicklyWhileGoodFilesAreIngested()
    {
        await using var server = await StartAsync();
        var b = server.Client(_tenantB);
        var deepQuote = new string('>', 100_000) + " quoted";
        var deepHtml = "<html><body>" + string.Concat(Enumerable.Repeat("<div>", 100_000)) + "deep" + string.Concat(Enumerable.Repeat("</div>", 100_000)) + "</body></html>";
        var started = System.Diagnostics.Stopwatch.StartNew();
        var job = await UploadFilesAsync(b, "shared", ("bundle.zip", Zip(("good.txt", "Turbines need yearly inspection."), ("deep.md", deepQuote), ("deep.html", deepHtml), ("also-good.md", "# Pumps\nPumps need monthly checks."))));

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(2, job.GetProperty("added").GetInt32());
        var errors = job.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("deep.md:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("deep.html:", StringComparison.Ordinal) && e.Contains("nest deeper", StringComparison.Ordinal));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"the hostile files took {started.Elapsed}");
        Assert.Equal(["good.txt"], (await ScoresAsync(b, "shared", "turbines inspection")).Keys);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task OneTenantsBacklogDoesNotHoldBackAnothersJob()
    {
        await using var server = await StartAsync();
        var (a, b) = (server.Client(_tenantA), server.Client(_tenantB));
        var backlog = new List<string>();
        for (var j = 0; j < 3; j++)
        {
            var lines = string.Join('\n', Enumerable.Range(0, 3000).Select(i => JsonSerializer.Serialize(new { _id = $"{j}-{i}", title = $"Record {i}", text = $"Record {i} of batch {j} about pumps, valves and turbines number {i * 7}." })));
            var response = await a.PostAsync("/v1/collections/a-docs/documents", Multipart([($"batch{j}.jsonl", Utf8(lines))]), Cancel);
            backlog.Add(response.Headers.Location!.ToString());
        }

        var mine = await UploadAsync(b, "b-docs", new { id = "urgent.txt", text = "An urgent note." });
        Assert.Equal("succeeded", mine.GetProperty("status").GetString());
        var last = await (await a.GetAsync(backlog[^1], Cancel)).JsonAsync();
        Assert.NotEqual("succeeded", last.GetProperty("status").GetString()); // B did not wait for A's backlog
        foreach (var location in backlog)
        {
            Assert.Equal("succeeded", (await a.WaitForJobAsync(location)).GetProperty("status").GetString());
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task ARestartedServerCleansUpAndAResumedJobCountsEachDocumentOnce()
    {
        var options = new ServerOptions { StoreRoot = Store };
        var orphan = Path.Combine(Store, "uploads", "0123456789abcdef0123456789abcdef");
        string location;
        const int files = 1500;
        using (var host = new CollectionHost(options))
        {
            var jobs = new IngestJobs(options, host, Microsoft.Extensions.Logging.Abstractions.NullLogger<IngestJobs>.Instance);
            var (id, folder) = jobs.NewUpload();
            for (var i = 0; i < files; i++)
            {
                File.WriteAllText(Path.Combine(folder, $"note{i:D4}.txt"), $"Maintenance note {i}: check valve {i} and pump {i % 13}.");
            }

            var loader = _keys.List().First(k => k.Name == "tenant-b");
            location = $"/v1/jobs/{jobs.Enqueue(id, "shared", loader.Id, new JobWriter(loader.Id, ["group:b", $"key:{loader.Id}"]), null).Id}";

            // Run the job and stop it (as a killed server would) once some documents are in the collection.
            using var stopping = new CancellationTokenSource();
            await jobs.StartAsync(stopping.Token);
            var database = Path.Combine(Store, "shared", "collection.db");
            while (!File.Exists(database) || Count(database) < 300)
            {
                await Task.Delay(20, Cancel);
            }

            await jobs.StopAsync(CancellationToken.None);
            Assert.InRange(Count(database), 300, files - 1);
        }

        Directory.CreateDirectory(orphan);
        await using var server = await StartAsync();
        var job = await server.Client(_tenantB).WaitForJobAsync(location);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(files, job.GetProperty("added").GetInt32());
        Assert.Equal(0, job.GetProperty("unchanged").GetInt32());
        Assert.False(Directory.Exists(orphan), "an upload folder no job will read is removed at start");
        // The job's own folder goes right after its final state is saved (in that order, so a crash between the two only leaves a folder).
        for (var wait = 0; wait < 100 && Directory.EnumerateFileSystemEntries(Path.Combine(Store, "uploads")).Any(); wait++)
        {
            await Task.Delay(50, Cancel);
        }

        Assert.Equal([], Directory.EnumerateFileSystemEntries(Path.Combine(Store, "uploads")));

        static long Count(string database)
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            // The file appears before its tables do: until then, nothing is written.
            command.CommandText = "SELECT CASE WHEN EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'documents') THEN 1 ELSE 0 END";
            if ((long)command.ExecuteScalar()! == 0)
            {
                return 0;
            }

            command.CommandText = "SELECT COUNT(*) FROM documents";
            return (long)command.ExecuteScalar()!;
        }
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
