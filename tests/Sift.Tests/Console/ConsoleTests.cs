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
    }

    [Fact]
    public async Task TwoEvaluationRunsAreComparedWithThePairedTest()
    {
        var page = await site.SignInAsync(site.TenantA);
        await page.GotoAsync("/console/evaluations");
        await Expect(page.Locator("main table tbody tr")).ToHaveCountAsync(2);

        await page.ClickAsync("form[action='/console/evaluations/compare'] button[type=submit]");
        await page.WaitForURLAsync("**/console/evaluations/compare?**");
        var rows = page.Locator("table.comparison tbody tr");
        await Expect(rows.Filter(new() { HasText = "ndcg@10" })).ToHaveCountAsync(1);
        var verdicts = await page.Locator("table.comparison tbody tr td:last-child").AllInnerTextsAsync();
        Assert.NotEmpty(verdicts);
        Assert.All(verdicts, v => Assert.Contains(v.Trim(), (string[])["better", "worse", "noise"]));

        // A run in detail: metrics with intervals and the worst queries with their passages.
        await page.GotoAsync("/console/evaluations");
        await page.ClickAsync("main table tbody tr:first-child th a");
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
    public async Task PagesReadWithoutJavaScript()
    {
        var page = await site.SignInAsync(site.TenantA, javaScript: false);
        await page.GotoAsync("/console/?c=handbook&q=laptop+replaced&action=search");
        await Expect(page.Locator(".hits .hit").First).ToContainTextAsync("Laptops are replaced every four years");
        await page.GotoAsync($"/console/?c=handbook&q={Uri.EscapeDataString(ConsoleSite.TenantAQuestion)}&action=ask");
        await Expect(page.Locator(".answer .citations li")).ToHaveCountAsync(1);
        await page.GotoAsync("/console/collections");
        await Expect(page.Locator("main table")).ToContainTextAsync("handbook");
    }
}
