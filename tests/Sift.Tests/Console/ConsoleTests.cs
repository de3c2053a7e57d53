using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;
using Sift.Composition;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Index.Analysis;
using Sift.Index.Storage;
using Sift.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Sift.Tests.Console;

/// <summary>
/// The console in a real browser (Debian's Chromium through Playwright) against the real server: sign in, a streamed
/// answer with citations, the cited span in its document, feedback found in the log, an upload made searchable, two
/// evaluation runs compared, administration, reading without JavaScript, and a second tenant who sees nothing of
/// the first on any page.
/// </summary>
[Trait("Category", "Browser")]
public sealed class ConsoleTests(ConsoleSite site) : IClassFixture<ConsoleSite>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnAnswerStreamsInItsCitationOpensTheQuotedSpanAndFeedbackReachesTheLog()
    {
        var page = await site.SignInAsync(site.TenantA);
        Assert.DoesNotContain(site.TenantA, page.Url, StringComparison.Ordinal);

        site.Llm.StallAfterFirstChunk = TimeSpan.FromSeconds(2);
        try
        {
            await page.FillAsync("#question", ConsoleSite.TenantAQuestion);
            await page.ClickAsync("#ask button[value=ask]");

            // The first words are on the page while the model is still writing: no citations yet.
            await Expect(page.Locator(".streaming .answer-text")).ToContainTextAsync("Travel");
            Assert.Equal(0, await page.Locator(".citations").CountAsync());
        }
        finally
        {
            site.Llm.StallAfterFirstChunk = null;
        }

        await Expect(page.Locator(".answer .citations li")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Expect(page.Locator(".answer-text")).ToContainTextAsync("reimbursed within 30 days");
        await Expect(page.Locator(".answer .usage")).ToContainTextAsync("tokens in / out");

        await page.FillAsync(".feedback input[name=comment]", "cite the policy page instead");
        await page.ClickAsync(".feedback button[value=down]");
        await Expect(page.Locator(".notice.ok")).ToContainTextAsync("not helpful");

        await page.ClickAsync(".citations a.citation");
        await page.WaitForURLAsync("**/console/passage?**");
        var cited = page.Locator("mark#cited");
        await Expect(cited).ToBeVisibleAsync();
        var quote = await cited.InnerTextAsync();
        Assert.True(quote.Length > 10, $"the highlighted span is '{quote}'");
        Assert.Contains(quote.Trim(), "Travel expenses are reimbursed within 30 days once the receipt is uploaded to the expenses portal.", StringComparison.Ordinal);
        await Expect(page.Locator(".chunk.cited")).ToHaveCountAsync(1);

        await page.GotoAsync("/console/monitoring?text=travel+expenses");
        // Other tests ask the same question: the row carrying this feedback is the one.
        var row = page.Locator("table.log tbody tr", new() { HasText = "cite the policy page instead" });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync(ConsoleSite.TenantAQuestion);
    }

    [Fact]
    public async Task AnUploadedFileBecomesSearchable()
    {
        var page = await site.SignInAsync(site.TenantA);
        await page.GotoAsync("/console/collections/handbook");
        var file = site.Folder.File("upload/parking.md", "# Parking\n\nVisitors park in the zebra-striped garage on level minus two, next to the bicycle racks.\n");
        await page.Locator("#files").SetInputFilesAsync(file);

        await Expect(page.Locator("#uploads li[data-status=succeeded]")).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Expect(page.Locator("#uploads li")).ToContainTextAsync("1 added");
        await Expect(page.Locator("#documents table")).ToContainTextAsync("parking");

        await page.GotoAsync("/console/?c=handbook&q=zebra+striped+garage&action=search");
        await Expect(page.Locator(".hits .hit").First).ToContainTextAsync("zebra-striped garage");

        // Deleted from the documents list (the button calls the API): gone from the list and from search.
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.GotoAsync("/console/collections/handbook");
        await page.Locator("#documents tr", new() { HasText = "parking" }).Locator("button", new() { HasText = "Delete" }).ClickAsync();
        await Expect(page.Locator("#documents tr", new() { HasText = "parking" })).ToHaveCountAsync(0);
        await page.GotoAsync("/console/?c=handbook&q=zebra+striped+garage&action=search");
        Assert.DoesNotContain("zebra-striped", await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoEvaluationRunsAreComparedWithThePairedTest()
    {
        var page = await site.SignInAsync(site.TenantA);
        await page.GotoAsync("/console/evaluations");
        Assert.True(await page.Locator("main table tbody tr").CountAsync() >= 2, "two runs (or more, when an administrator started one) are listed");

        // Two runs of the same dataset (other tests add reports of their own to the list).
        var runs = await page.Locator("select[name=a] option", new() { HasText = "tiny-beir" }).EvaluateAllAsync<string[]>("options => options.map(o => o.value)");
        Assert.True(runs.Length >= 2, string.Join(", ", runs));
        await page.SelectOptionAsync("select[name=a]", runs[^1]);
        await page.SelectOptionAsync("select[name=b]", runs[^2]);
        await page.ClickAsync("form[action='/console/evaluations/compare'] button[type=submit]");
        await page.WaitForURLAsync("**/console/evaluations/compare?**");
        var rows = page.Locator("table.comparison tbody tr");
        await Expect(rows.Filter(new() { HasText = "ndcg@10" })).ToHaveCountAsync(1);
        var verdicts = await page.Locator("table.comparison tbody tr td:last-child").AllInnerTextsAsync();
        Assert.NotEmpty(verdicts);
        Assert.All(verdicts, v => Assert.Contains(v.Trim(), (string[])["better", "worse", "noise"]));

        // A run in detail: metrics with intervals and the worst queries with their passages.
        await page.GotoAsync("/console/evaluations");
        await page.Locator("main table tbody tr", new() { HasText = "tiny-beir" }).First.Locator("th a").ClickAsync();
        await Expect(page.Locator("main")).ToContainTextAsync("Worst queries");
        await Expect(page.Locator("main table").First).ToContainTextAsync("ndcg@10");
    }

    [Fact]
    public async Task ASecondTenantSeesNothingOfTheFirstOnAnyPage()
    {
        // Tenant A leaves traces everywhere: an answer in the log, feedback, documents, evaluation runs.
        using (var client = site.Server.Client(site.TenantA))
        {
            var asked = await client.PostAsJsonAsync("/v1/collections/handbook/ask", new { question = ConsoleSite.TenantAQuestion }, Cancel);
            Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        }

        var page = await site.SignInAsync(site.TenantB);
        await Expect(page.Locator("#collection option")).ToHaveTextAsync(["finance"]);
        string[] pages =
        [
            "/console/", "/console/?c=handbook&q=travel+expenses&action=search", "/console/?c=handbook&q=travel+expenses&action=ask",
            "/console/passage?c=handbook&doc=expenses&chunk=1", "/console/compare?q=travel+expenses&a=handbook&b=finance",
            "/console/collections", "/console/collections/handbook", "/console/collections/handbook/documents",
            "/console/evaluations", "/console/evaluations/run?id=handbook-eval:1:0", "/console/evaluations/compare?a=handbook-eval:1:0&b=handbook-eval:1:1",
            "/console/monitoring", "/console/monitoring?c=handbook", "/console/monitoring?text=travel", "/console/admin",
        ];
        string[] secrets = ["reimbursed", "annual leave", "Laptops", ConsoleSite.TenantAQuestion, "glacier", "tenant-a", "handbook-eval v"];
        foreach (var path in pages)
        {
            await page.GotoAsync(path);
            var html = await page.ContentAsync();
            foreach (var secret in secrets)
            {
                Assert.False(html.Contains(secret, StringComparison.OrdinalIgnoreCase), $"{path} shows tenant A's '{secret}'");
            }
        }

        // The API answers the cookie as it answers the key.
        var status = await page.EvaluateAsync<int>("async () => (await fetch('/v1/collections/handbook')).status");
        Assert.Equal(404, status);

        // A colleague on the same collection (another read key) sees its documents, not tenant A's questions.
        var colleague = await site.SignInAsync(site.Keys.Create("colleague", [Sift.Server.Auth.Scopes.Read], ["handbook"], []).Secret);
        foreach (var path in (string[])["/console/monitoring", "/console/monitoring?c=handbook&text=travel", "/console/monitoring?kind=ask"])
        {
            await colleague.GotoAsync(path);
            Assert.DoesNotContain(ConsoleSite.TenantAQuestion, await colleague.ContentAsync(), StringComparison.Ordinal);
        }

        // And the other way round: tenant A never sees tenant B's secret.
        var other = await site.SignInAsync(site.TenantA);
        await other.GotoAsync("/console/?c=finance&q=merger+codename&action=search");
        Assert.DoesNotContain("BLUEHERON", await other.ContentAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAdministratorCreatesAKeyShownOnceRevokesItAndMovesProdWithTheButtons()
    {
        var page = await site.SignInAsync(site.Admin);
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.GotoAsync("/console/admin");
        await page.FillAsync("input[name=name]", "ci-bot");
        await page.FillAsync("input[name=collections]", "finance");
        await page.ClickAsync("form[action='/console/admin/keys'] button[type=submit]");
        var secret = (await page.Locator("#new-key").InnerTextAsync()).Trim();
        Assert.StartsWith("sift_", secret, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, page.Url, StringComparison.Ordinal);

        using (var client = site.Server.Client(secret))
        {
            var listed = await (await client.GetAsync("/v1/collections", Cancel)).JsonAsync();
            Assert.Equal(["finance"], listed.GetProperty("collections").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        }

        await page.GotoAsync("/console/admin");
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        await page.Locator("table.keys tr", new() { HasText = "ci-bot" }).Locator("button", new() { HasText = "Revoke" }).ClickAsync();
        await Expect(page.Locator(".notice.ok")).ToContainTextAsync("revoked");
        using (var client = site.Server.Client(secret))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/collections", Cancel)).StatusCode);
        }

        // A candidate version of finance, promoted and rolled back with the buttons (which call the admin API).
        using (var finance = new CollectionStore(site.Store, new EnglishTextAnalyzer()).OpenOrCreate("finance"))
        {
            const string text = "Department budgets are frozen in October this year.";
            finance.Write([new DocumentChunks(new SourceDocument("budget", "budget.md", "Budget", text, ContentHash.Of(text), new Dictionary<string, string>(), []), [new Chunk("budget", 0, text, 0, text.Length, [], null, ContentHash.Of(text))])]);
            CollectionVersions.Record(finance, new Core.Storage.VersionChange("ingest", "test"), Core.Storage.VersionAliases.Candidate);
        }

        await page.GotoAsync("/console/admin");
        var versions = page.Locator("section.collection-versions", new() { HasText = "finance" });
        await Expect(versions.Locator(".meta").First).ToContainTextAsync("prod → 1");
        await versions.Locator("tr", new() { HasText = "candidate" }).Locator("button", new() { HasText = "Promote to prod" }).ClickAsync();
        await Expect(page.Locator("section.collection-versions", new() { HasText = "finance" }).Locator(".meta").First).ToContainTextAsync("prod → 2");
        await page.Locator("section.collection-versions", new() { HasText = "finance" }).Locator("button", new() { HasText = "Roll back prod" }).ClickAsync();
        await Expect(page.Locator("section.collection-versions", new() { HasText = "finance" }).Locator(".meta").First).ToContainTextAsync("prod → 1");
    }

    [Fact]
    public async Task AnAdministratorStartsAnEvaluationRunOnACollection()
    {
        var page = await site.SignInAsync(site.Admin);
        await page.GotoAsync("/console/evaluations");
        var before = await page.Locator("main table tbody tr").CountAsync();
        await page.SelectOptionAsync("#run-collection", "handbook-eval");
        await page.SelectOptionAsync("select[name=dataset]", "tiny-beir");
        await page.ClickAsync("form[action='/console/evaluations/run'] button[type=submit]");
        await Expect(page.Locator(".notice.ok")).ToContainTextAsync("Evaluating handbook-eval on tiny-beir");

        var rows = 0;
        for (var attempt = 0; attempt < 50 && rows <= before; attempt++)
        {
            await Task.Delay(200, Cancel);
            await page.GotoAsync("/console/evaluations");
            rows = await page.Locator("main table tbody tr").CountAsync();
        }

        Assert.Equal(before + 1, rows);
        await Expect(page.Locator("ul.runs")).ToContainTextAsync("done");
        await Expect(page.Locator("main table tbody tr").First).ToContainTextAsync("ndcg@10 1.0000");
    }

    [Fact]
    public async Task PagesReadWithoutJavaScript()
    {
        var page = await site.SignInAsync(site.TenantA, javaScript: false);
        await page.GotoAsync("/console/?c=handbook&q=laptop+replaced&action=search");
        await Expect(page.Locator(".hits .hit").First).ToContainTextAsync("Laptops are replaced every four years");
        await page.GotoAsync($"/console/?c=handbook&q={Uri.EscapeDataString(ConsoleSite.TenantAQuestion)}&action=ask");
        await Expect(page.Locator(".answer .citations li")).ToHaveCountAsync(1);
        await page.FillAsync(".feedback input[name=comment]", "read without scripts");
        await page.ClickAsync(".feedback button[value=up]");
        await Expect(page.Locator(".notice.ok")).ToContainTextAsync("recorded as helpful");
        await page.GotoAsync("/console/collections");
        await Expect(page.Locator("main table")).ToContainTextAsync("handbook");
    }

    [Fact]
    public async Task TheSignInCookieIsHttpOnlyAndStrictAndEveryChangeNeedsThePageToken()
    {
        var key = site.Keys.Create("cookie-test", [Sift.Server.Auth.Scopes.Read], ["handbook"], []).Secret;
        using var client = site.Server.Client(handler: new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false });
        async Task<string> TokenAsync(string path) =>
            System.Text.RegularExpressions.Regex.Match(await client.GetStringAsync(path, Cancel), "name=\"csrf\" value=\"([^\"]+)\"").Groups[1].Value;
        FormUrlEncodedContent Form(string? token, string secret) =>
            new(token is null ? [new("key", secret)] : [new("csrf", token), new("key", secret)]);

        var token = await TokenAsync("/console/signin");
        Assert.NotEmpty(token);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/console/signin", Form(null, key), Cancel)).StatusCode);

        var wrong = await client.PostAsync("/console/signin", Form(token, "sift_not-a-key"), Cancel);
        Assert.Contains("not valid", await wrong.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        Assert.DoesNotContain(wrong.Headers.TryGetValues("Set-Cookie", out var none) ? none : [], c => c.StartsWith("sift_console=", StringComparison.Ordinal));

        var signedIn = await client.PostAsync("/console/signin", Form(token, key), Cancel);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var cookie = Assert.Single(signedIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith("sift_console=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(key, cookie, StringComparison.Ordinal);
        Assert.DoesNotContain(key, signedIn.Headers.Location!.OriginalString, StringComparison.Ordinal);

        // The cookie reads like the key; a change it authenticates must carry the page's token.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/collections/handbook", Cancel)).StatusCode);
        var forged = await client.PostAsJsonAsync("/v1/collections/handbook/search", new { query = "travel" }, Cancel);
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal("csrf", (await forged.JsonAsync()).GetProperty("code").GetString());
        var pageToken = await TokenAsync("/console/collections");
        using var search = new HttpRequestMessage(HttpMethod.Post, "/v1/collections/handbook/search") { Content = JsonContent.Create(new { query = "travel" }) };
        search.Headers.Add("X-CSRF-Token", pageToken);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(search, Cancel)).StatusCode);

        var page = await client.GetAsync("/console/", Cancel);
        var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);

        // A body that is not a form is a page saying what is missing, never a server error.
        using (var json = new HttpRequestMessage(HttpMethod.Post, "/console/feedback") { Content = JsonContent.Create(new { answerId = "x", rating = "up" }) })
        {
            json.Headers.Add("X-CSRF-Token", pageToken);
            var answered = await client.SendAsync(json, Cancel);
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
            Assert.Contains("Feedback not recorded", await answered.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        }

        // Revoking the key ends the session at once.
        site.Keys.Revoke(site.Keys.List().Single(k => k.Name == "cookie-test").Id);
        var after = await client.GetAsync("/console/", Cancel);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/console/signin", after.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Contains(after.Headers.GetValues("Set-Cookie"), c => c.StartsWith("sift_console=;", StringComparison.Ordinal)); // the dead session's cookie is dropped
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/console/signin", Cancel)).StatusCode);
    }

    [Fact]
    public async Task SigningOutEndsTheSessionAndSignInGoesOnlyToConsolePages()
    {
        var container = new CookieContainer();
        using var client = site.Server.Client(handler: new HttpClientHandler { CookieContainer = container, AllowAutoRedirect = false });
        async Task<string> TokenAsync(string path) =>
            System.Text.RegularExpressions.Regex.Match(await client.GetStringAsync(path, Cancel), "name=\"csrf\" value=\"([^\"]+)\"").Groups[1].Value;

        foreach (var (next, expected) in (IEnumerable<(string, string)>)[("/console/collections", "/console/collections"), ("//evil.example/console", "/console/"), ("/console/\u00e9\r\nX: y", "/console/")])
        {
            var token = await TokenAsync("/console/signin");
            var signedIn = await client.PostAsync("/console/signin", new FormUrlEncodedContent([new("csrf", token), new("key", site.TenantA), new("next", next)]), Cancel);
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
            Assert.Equal(expected, signedIn.Headers.Location!.OriginalString);
        }

        var copied = container.GetCookies(site.Server.Root)["sift_console"]!.Value;
        var signOutToken = await TokenAsync("/console/collections");
        Assert.Equal(HttpStatusCode.Redirect, (await client.PostAsync("/console/signout", new FormUrlEncodedContent([new("csrf", signOutToken)]), Cancel)).StatusCode);

        // A copy of the cookie taken before signing out no longer opens anything.
        using var replay = new HttpRequestMessage(HttpMethod.Get, "/v1/collections");
        replay.Headers.Add("Cookie", $"sift_console={copied}");
        using var fresh = site.Server.Client(handler: new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.Unauthorized, (await fresh.SendAsync(replay, Cancel)).StatusCode);
    }

    [Fact]
    public async Task CraftedPathsAndForeignReportsCannotTurnAPageAgainstItsReader()
    {
        // A path that would steer the documents list's htmx request to an API endpoint is no collection.
        var admin = await site.SignInAsync(site.Admin);
        await admin.GotoAsync("/console/collections/..%5C..%5C..%5Cv1%5Cadmin%5Ccollections%5Chandbook%5Cversions%5Cdiff%3Ffrom=1%26to=1%26x=");
        await Expect(admin.Locator(".notice.error")).ToContainTextAsync("was not found");
        Assert.Equal(0, await admin.Locator("[hx-get]").CountAsync());

        // A report made by someone who could see a restricted document shows its reader only what they may see.
        using (var store = new CollectionStore(site.Store, new EnglishTextAnalyzer()))
        using (var handbook = store.Open("handbook"))
        {
            handbook.Versions!.AttachReport(1, "answers", System.Text.Json.JsonSerializer.Serialize(new
            {
                kind = "answers",
                dataset = "hr-questions",
                intervals = new Dictionary<string, object> { ["token_f1"] = new { mean = 0.5, low = 0.4, high = 0.6 } },
                perQuery = new[] { new { id = "h1", metrics = new Dictionary<string, double> { ["token_f1"] = 0.5 } } },
                worstCases = new[]
                {
                    new
                    {
                        id = "h1", question = "What is the engineers' salary band?", metrics = new Dictionary<string, double> { ["token_f1"] = 0.5 },
                        answer = "The band is codenamed REDWOLF [1].",
                        retrieved = new[] { new { documentId = "salaries", score = 9.5, relevant = true, text = "codenamed REDWOLF" }, new { documentId = "expenses", score = 1.0, relevant = false, text = "Travel expenses are reimbursed" } },
                    },
                },
            }));
        }

        var reader = await site.SignInAsync(site.TenantA);
        await reader.GotoAsync("/console/evaluations");
        await reader.Locator("main table tbody tr", new() { HasText = "hr-questions" }).Locator("th a").ClickAsync();
        var main = await reader.Locator("main").InnerHTMLAsync();
        Assert.DoesNotContain("REDWOLF", main, StringComparison.Ordinal);
        Assert.DoesNotContain("salaries", main, StringComparison.Ordinal);
        Assert.Contains("answer withheld", main, StringComparison.Ordinal);
        Assert.Contains("Travel expenses are reimbursed", main, StringComparison.Ordinal);

        // An administrator of one collection learns nothing of another from the monitoring page.
        var financeAdmin = site.Keys.Create("finance-admin", [.. Sift.Server.Auth.Scopes.All], ["finance"], []).Secret;
        var page = await site.SignInAsync(financeAdmin);
        await page.GotoAsync("/console/monitoring?c=handbook");
        var html = await page.ContentAsync();
        Assert.DoesNotContain("handbook", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Drift", html, StringComparison.Ordinal);
    }

    /// <summary>
    /// Every page at desktop and phone width, signed in as an administrator: no horizontal scrolling at 390 px, no
    /// script error and no Content-Security-Policy violation, a skip link first in the tab order, and a screenshot
    /// of each (into $SIFT_SCREENSHOTS when set: tools/console/screenshots.sh writes docs/images this way).
    /// </summary>
    [Fact]
    public async Task EveryPageFitsAPhoneKeepsToThePolicyAndIsPhotographed()
    {
        var folder = Environment.GetEnvironmentVariable("SIFT_SCREENSHOTS") ?? site.Folder.Combine("screenshots");
        Directory.CreateDirectory(folder);
        using (var client = site.Server.Client(site.Admin))
        {
            string[] queries = ["travel expenses", "annual leave planner", "laptop replacement", "hotel approval", "budget freeze", "ledger close", "receipt portal", "service desk"];
            for (var i = 0; i < 40; i++)
            {
                var response = await client.PostAsJsonAsync($"/v1/collections/{(i % 3 == 0 ? "finance" : "handbook")}/search", new { query = queries[i % queries.Length] }, Cancel);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        (string Name, string Path)[] pages =
        [
            ("compare", "/console/compare?q=budget+approval+before+booking&a=handbook&b=finance"),
            ("collections", "/console/collections"),
            ("collection", "/console/collections/handbook"),
            ("evaluations", "/console/evaluations"),
            ("evaluation", "/console/evaluations/run?id=handbook-eval:1:0"),
            ("evaluation-compare", "/console/evaluations/compare?a=handbook-eval:1:0&b=handbook-eval:1:1"),
            ("monitoring", "/console/monitoring?window=24h"),
            ("admin", "/console/admin"),
        ];
        var problems = new List<string>();
        foreach (var (width, device) in (IEnumerable<(int, string)>)[(1280, "desktop"), (390, "phone")])
        {
            var page = await site.SignInAsync(site.Admin, width);
            page.Console += (_, message) =>
            {
                if (message.Type == "error")
                {
                    problems.Add($"{device} {page.Url}: {message.Text}");
                }
            };
            page.PageError += (_, error) => problems.Add($"{device} {page.Url}: {error}");

            await page.Keyboard.PressAsync("Tab");
            Assert.Equal("skip", await page.EvaluateAsync<string>("() => document.activeElement.className"));

            async Task ShootAsync(string name)
            {
                var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
                var wide = overflow <= 1 ? "" : await page.EvaluateAsync<string>(
                    "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest('.scroll')).slice(0, 5).map(e => e.tagName + '.' + e.className).join(', ')");
                Assert.True(overflow <= 1, $"{name} scrolls sideways by {overflow} px at {width} px: {wide}");
                await page.ScreenshotAsync(new PageScreenshotOptions
                {
                    Path = Path.Combine(folder, $"console-{name}-{device}.png"),
                    FullPage = device == "desktop",
                });
            }

            await page.SelectOptionAsync("#collection", "handbook");
            await page.FillAsync("#question", ConsoleSite.TenantAQuestion);
            await page.ClickAsync("#ask button[value=ask]");
            await Expect(page.Locator(".answer .citations li")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
            await ShootAsync("playground");
            if (device == "desktop")
            {
                await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
                await ShootAsync("playground-dark");
                await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });
            }

            await page.ClickAsync(".citations a.citation");
            await Expect(page.Locator("mark#cited")).ToBeVisibleAsync();
            await ShootAsync("passage");
            foreach (var (name, path) in pages)
            {
                await page.GotoAsync(path);
                if (name == "monitoring")
                {
                    await Expect(page.Locator(".plot canvas")).ToHaveCountAsync(5);
                }

                await ShootAsync(name);
            }

            await page.Context.CloseAsync();
        }

        Assert.Empty(problems);
    }
}
