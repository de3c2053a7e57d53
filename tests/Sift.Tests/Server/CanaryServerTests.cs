using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sift.Composition;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Index.Analysis;
using Sift.Index.Storage;
using Sift.Server;
using Sift.Server.Auth;
using Sift.Tests.Support;

namespace Sift.Tests.Server;

/// <summary>Versions over HTTP: the version each response came from, the admin API, and canaries driven by real requests.</summary>
public sealed class CanaryServerTests : IAsyncDisposable
{
    private static readonly string[] Topics =
    [
        "glacier", "volcano", "harbour", "orchard", "lighthouse", "meadow", "canyon", "lagoon", "prairie", "tundra",
        "reef", "delta", "plateau", "fjord", "savanna", "marsh", "dune", "estuary", "geyser", "atoll",
    ];

    private readonly TempFolder _folder = new();
    private readonly LoopbackWebhook _webhook = new();
    private readonly ApiKeyStore _keys;
    private readonly string _admin;
    private readonly List<string> _readers;

    public CanaryServerTests()
    {
        _keys = new ApiKeyStore(Store);
        _admin = _keys.Create("admin", [Scopes.Read, Scopes.Admin], ["*"], []).Secret;
        _readers = [.. Enumerable.Range(0, 40).Select(i => _keys.Create($"reader{i}", [Scopes.Read], ["kb"], []).Secret)];
    }

    private string Store => _folder.Combine("store");

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        await _webhook.DisposeAsync();
        _folder.Dispose();
    }

    /// <summary>Version 1: twenty documents, each about one topic. Version 2 (candidate): the same documents cut to one word.</summary>
    private void Seed(bool brokenCandidate)
    {
        using var collection = new CollectionStore(Store, new EnglishTextAnalyzer()).OpenOrCreate("kb");
        SiftStores.BindEmbedder(collection, "none");
        DocumentChunks Document(string topic, string text)
        {
            var document = new SourceDocument(topic, topic, topic, text, ContentHash.Of(text), new Dictionary<string, string>(), []);
            return new DocumentChunks(document, [new Chunk(topic, 0, text, 0, text.Length, [], null, ContentHash.Of(text))]);
        }

        collection.Write([.. Topics.Select(t => Document(t, $"The {t} is described here: visitors to the {t} see the {t} trail, the {t} museum and the {t} guides."))]);
        CollectionVersions.Record(collection, new VersionChange("ingest", "test"));
        collection.Write([.. Topics.Select(t => Document(t, brokenCandidate ? "Notes." : $"The {t} is described here: visitors to the {t} see the {t} trail, the {t} museum and the {t} guides. Updated."))]);
        CollectionVersions.Record(collection, new VersionChange("ingest", "test"), VersionAliases.Candidate);
    }

    private async Task<(HttpResponseMessage Response, JsonElement Body)> SearchAsync(RunningServer server, string key, string collection, string query)
    {
        using var client = server.Client(key);
        var response = await client.PostAsJsonAsync($"/v1/collections/{collection}/search", new { query, k = 5 }, Cancel);
        return (response, await response.JsonAsync());
    }

    /// <summary>Traffic: reader keys in turn, each asking about a topic.</summary>
    private async Task<int> DriveAsync(RunningServer server, int requests, Func<Task<bool>> done)
    {
        for (var i = 0; i < requests; i++)
        {
            var (response, _) = await SearchAsync(server, _readers[i % _readers.Count], "kb", $"{Topics[i % Topics.Length]} trail guides");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (i % 10 == 9 && await done())
            {
                return i + 1;
            }
        }

        return requests;
    }

    [Fact]
    public async Task ACanaryOfADegradedCandidateRollsBackAndTellsTheWebhookThenAHealthyOneIsPromoted()
    {
        Seed(brokenCandidate: true);
        await using var server = await RunningServer.StartAsync(new ServerOptions { StoreRoot = Store, Cache = false });
        using var admin = server.Client(_admin);

        // Every read says which version answered; a version can be named.
        var (plain, body) = await SearchAsync(server, _readers[0], "kb", "glacier trail");
        Assert.Equal("1", plain.Headers.GetValues("Sift-Version").Single());
        Assert.Equal((1, "prod"), (body.GetProperty("served").GetProperty("version").GetInt32(), body.GetProperty("served").GetProperty("alias").GetString()));
        var (named, namedBody) = await SearchAsync(server, _admin, "kb@candidate", "glacier trail");
        Assert.Equal("candidate", named.Headers.GetValues("Sift-Alias").Single());
        Assert.Equal(2, namedBody.GetProperty("served").GetProperty("version").GetInt32());
        var (missing, missingBody) = await SearchAsync(server, _admin, "kb@nope", "glacier");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.DoesNotContain("prod", missingBody.GetProperty("detail").GetString(), StringComparison.Ordinal); // no alias map in errors

        // A named version may hold documents since deleted or restricted: reading one takes the admin scope.
        Assert.Equal(HttpStatusCode.Forbidden, (await SearchAsync(server, _readers[0], "kb@candidate", "glacier trail")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SearchAsync(server, _readers[0], "kb@1", "glacier trail")).Response.StatusCode);

        // Only the admin scope may run a canary.
        using (var reader = server.Client(_readers[0]))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.PutAsJsonAsync("/v1/admin/collections/kb/canary", new { share = 0.5 }, Cancel)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsJsonAsync("/v1/admin/collections/kb/canary", new { share = 1.5 }, Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsJsonAsync("/v1/admin/collections/kb/canary", new { webhook = "http://169.254.169.254/latest" }, Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsJsonAsync("/v1/admin/collections/kb/canary", new { webhook = "file:///etc/passwd" }, Cancel)).StatusCode);
        var started = await admin.PutAsJsonAsync("/v1/admin/collections/kb/canary", new { share = 0.5, minRequests = 10, webhook = new Uri(_webhook.Root, "hook") }, Cancel);
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);

        async Task<JsonElement> Status() => await (await admin.GetAsync("/v1/admin/collections/kb/canary", Cancel)).JsonAsync();
        var requests = await DriveAsync(server, 400, async () => (await Status()).GetProperty("state").GetString() != "running");
        var status = await Status();
        Assert.True(status.GetProperty("state").GetString() == "rolled_back", status.ToString());
        Assert.Equal((1, 2), (status.GetProperty("baselineVersion").GetInt32(), status.GetProperty("candidateVersion").GetInt32()));
        Assert.True(requests <= 200, $"rolled back after {requests} requests");
        Assert.Contains("top_score degraded", status.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var posted = await _webhook.WaitAsync(Cancel);
        Assert.Equal("canary_rolled_back", posted.GetProperty("event").GetString());

        // Everyone reads prod again.
        foreach (var key in _readers.Take(10))
        {
            Assert.Equal("1", (await SearchAsync(server, key, "kb", "meadow")).Response.Headers.GetValues("Sift-Version").Single());
        }

        // A healthy candidate (a version with identical retrieval) is promoted after its healthy requests.
        var moved = await admin.PostAsJsonAsync("/v1/admin/collections/kb/aliases/candidate", new { version = "1" }, Cancel);
        Assert.Equal(1, (await moved.JsonAsync()).GetProperty("version").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/v1/admin/collections/kb/canary", new { share = 0.5, minRequests = 10, promoteAfter = 30, baseline = "prod", candidate = "candidate" }, Cancel)).StatusCode);
        await DriveAsync(server, 400, async () => (await Status()).GetProperty("state").GetString() != "running");
        Assert.Equal("promoted", (await Status()).GetProperty("state").GetString());
        var versions = await (await admin.GetAsync("/v1/admin/collections/kb/versions", Cancel)).JsonAsync();
        Assert.Equal(1, versions.GetProperty("aliases").GetProperty("prod").GetInt32());

        // Rollback over the API walks prod back along its moves.
        var rolled = await admin.PostAsJsonAsync("/v1/admin/collections/kb/aliases/prod/rollback", new { }, Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, rolled.StatusCode); // prod has only ever pointed at version 1
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/v1/admin/collections/kb/canary", Cancel)).StatusCode);
    }

    [Fact]
    public async Task TheMonitorIsForAdministratorsAndSaysWhenThereIsTooLittleTraffic()
    {
        Seed(brokenCandidate: false);
        await using var server = await RunningServer.StartAsync(new ServerOptions { StoreRoot = Store, Cache = false });
        await DriveAsync(server, 40, () => Task.FromResult(false));
        using (var reader = server.Client(_readers[0]))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.GetAsync("/v1/collections/kb/monitor", Cancel)).StatusCode);
        }

        using var admin = server.Client(_admin);
        var monitor = await (await admin.GetAsync("/v1/collections/kb/monitor?window=1h&reference=1d", Cancel)).JsonAsync();
        Assert.False(monitor.GetProperty("alert").GetBoolean());
        Assert.Contains("too few queries", monitor.GetProperty("report").GetProperty("note").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/v1/collections/kb/monitor?window=soon", Cancel)).StatusCode);
        var html = await admin.GetAsync("/v1/collections/kb/monitor?format=html", Cancel);
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ScheduledChecksPostCorpusDriftOnceForANewVersionWhoseContentMoved()
    {
        Seed(brokenCandidate: true);
        await using var server = await RunningServer.StartAsync(new ServerOptions
        {
            StoreRoot = Store, Cache = false, DriftCheckInterval = TimeSpan.FromMilliseconds(300), DriftWebhook = new Uri(_webhook.Root, "drift"),
        });
        var posted = await _webhook.WaitAsync(Cancel);
        Assert.Equal(("corpus_drift", "kb"), (posted.GetProperty("event").GetString(), posted.GetProperty("collection").GetString()));
        Assert.Contains("chunk_terms", posted.GetProperty("drifted").EnumerateArray().Select(e => e.GetString()));
        await Task.Delay(1_000, Cancel);
        Assert.Equal(0, _webhook.Pending); // once per version, not once per check
    }

    /// <summary>A webhook receiver: keeps every JSON body posted to it.</summary>
    private sealed class LoopbackWebhook : LoopbackServer
    {
        private readonly BlockingCollection<JsonElement> _posted = [];

        public int Pending => _posted.Count;

        public async Task<JsonElement> WaitAsync(CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            return await Task.Run(() => _posted.Take(timeout.Token), timeout.Token);
        }

        protected override async Task RespondAsync(HttpListenerContext context)
        {
            using var json = await JsonDocument.ParseAsync(context.Request.InputStream);
            _posted.Add(json.RootElement.Clone());
            await WriteJsonAsync(context.Response, 200, "{}");
        }
    }
}
