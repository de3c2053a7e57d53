using Microsoft.Playwright;
using Sift.Composition;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Generation.Llm;
using Sift.Index.Analysis;
using Sift.Index.Storage;
using Sift.Server;
using Sift.Server.Auth;

namespace Sift.Tests.Support;

/// <summary>
/// A running Sift server with its console, for browser tests and screenshots: two tenants (keys for "handbook" and
/// "finance"), an administrator, a loopback LLM that answers citing passage [1], evaluation reports written by the
/// real CLI, and Debian's Chromium driven by Playwright (nothing downloaded).
/// </summary>
public sealed class ConsoleSite : IAsyncLifetime
{
    public const string TenantAQuestion = "When are travel expenses reimbursed?";

    private readonly TempFolder _folder = new();
    private IPlaywright? _playwright;

    public LoopbackChatServer Llm { get; } = new();

    public RunningServer Server { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public ApiKeyStore Keys { get; private set; } = null!;

    /// <summary>Reads and ingests "handbook" and its evaluation collection "handbook-eval".</summary>
    public string TenantA { get; private set; } = "";

    /// <summary>Reads and ingests "finance" only.</summary>
    public string TenantB { get; private set; } = "";

    /// <summary>Every scope on every collection.</summary>
    public string Admin { get; private set; } = "";

    public string Store => _folder.Combine("store");

    public TempFolder Folder => _folder;

    public async ValueTask InitializeAsync()
    {
        Seed();
        await EvaluateAsync();
        Keys = new ApiKeyStore(Store);
        TenantA = Keys.Create("tenant-a", [Scopes.Read, Scopes.Ingest], ["handbook", "handbook-eval"], []).Secret;
        TenantB = Keys.Create("tenant-b", [Scopes.Read, Scopes.Ingest], ["finance"], []).Secret;
        Admin = Keys.Create("admin", [.. Scopes.All], ["*"], []).Secret;

        // The model answers from the first passage it was given, citing it, like an obedient grounded model.
        Llm.Respond = _ => "Travel expenses are reimbursed within 30 days once the receipt is uploaded to the expenses portal [1].";
        var endpoint = new LlmEndpoint(LlmProvider.OpenAiCompatible, Llm.BaseUrl, "console-model", null, TimeSpan.FromSeconds(30), 0, 1m, 2m);
        Server = await RunningServer.StartAsync(new ServerOptions { StoreRoot = Store, Llm = endpoint, Cache = false, Datasets = _folder.Combine("datasets") });

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = HeadlessChromium.Executable,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        await Llm.DisposeAsync();
        _folder.Dispose();
    }

    /// <summary>A fresh browser session (no cookies) at <paramref name="width"/> pixels wide.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, bool javaScript = true)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.Root.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = width < 600 ? 844 : 900 },
            JavaScriptEnabled = javaScript,
        });
        return await context.NewPageAsync();
    }

    /// <summary>Signs in through the sign-in form, as a person would.</summary>
    public async Task<IPage> SignInAsync(string key, int width = 1280, bool javaScript = true)
    {
        var page = await NewPageAsync(width, javaScript);
        // The form posts and redirects away from the sign-in page (whose own URL matches /console/ too), with room for
        // a machine busy with other work; a refused key stays on it and says why. Under the whole suite's load a
        // submission has once gone unanswered for 90 s (while a lone run signs in in under a second): one more try.
        for (var attempt = 1; ; attempt++)
        {
            await page.GotoAsync("/console/");
            await page.FillAsync("#key", key);
            await page.ClickAsync("form[action='/console/signin'] button[type=submit]");
            try
            {
                await page.WaitForURLAsync(url => !url.Contains("/console/signin", StringComparison.Ordinal), new PageWaitForURLOptions { Timeout = 60_000 });
                return page;
            }
            catch (TimeoutException) when (attempt == 1)
            {
            }
        }
    }

    private void Seed()
    {
        using var store = new CollectionStore(Store, new EnglishTextAnalyzer());
        Write(store, "handbook",
            ("expenses", "Travel expenses",
                ["Travel expenses are reimbursed within 30 days once the receipt is uploaded to the expenses portal.",
                 "Hotel stays above 200 euros per night need a manager's approval before booking."], null),
            ("leave", "Annual leave", ["Every employee has 28 days of annual leave, booked in the leave planner at least two weeks ahead."], null),
            ("laptops", "Laptops", ["Laptops are replaced every four years; a broken laptop is swapped at the service desk the same day."], null),
            ("salaries", "Salaries", ["Salary bands are confidential: the band for engineers is codenamed REDWOLF."], ["group:hr"]));
        Write(store, "finance",
            ("ledger", "Quarterly ledger", ["The quarterly ledger closes on the fifth working day; the secret merger codename is BLUEHERON."], null),
            ("budget", "Budget", ["Department budgets are frozen in November and reopened in January after the board review."], null));
    }

    private static void Write(CollectionStore store, string name, params (string Id, string Title, string[] Paragraphs, string[]? Acl)[] documents)
    {
        using var collection = store.OpenOrCreate(name);
        SiftStores.BindEmbedder(collection, "none");
        collection.Write([.. documents.Select(d =>
        {
            var text = string.Join("\n\n", d.Paragraphs);
            var chunks = new List<Chunk>();
            var at = 0;
            foreach (var (paragraph, ordinal) in d.Paragraphs.Select((p, i) => (p, i)))
            {
                chunks.Add(new Chunk(d.Id, ordinal, paragraph, at, at + paragraph.Length, [d.Title], null, ContentHash.Of(paragraph)));
                at += paragraph.Length + 2;
            }

            var metadata = d.Acl is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [Core.Filtering.AccessScope.MetadataKey] = Core.Filtering.AccessScope.Encode(d.Acl) };
            return new DocumentChunks(new SourceDocument(d.Id, $"{d.Id}.md", d.Title, text, ContentHash.Of(text), metadata, []), chunks);
        })]);
        CollectionVersions.Record(collection, new Core.Storage.VersionChange("ingest", "test"));
    }

    /// <summary>
    /// Two retrieval evaluations of "handbook-eval" by the real CLI (different BM25 settings), kept with its version;
    /// the dataset is also the one the server offers administrators (--datasets).
    /// </summary>
    private async Task EvaluateAsync()
    {
        string[] topics = ["glacier", "volcano", "harbour", "orchard", "lighthouse", "meadow", "canyon", "lagoon"];
        var dataset = _folder.Combine("datasets/tiny-beir");
        _folder.File("datasets/tiny-beir/corpus.jsonl", string.Join('\n', topics.Select((t, i) =>
            $$"""{"_id": "d{{i}}", "title": "The {{t}}", "text": "A guide to the {{t}}: walks near the {{t}}, the {{t}} museum, and how the {{t}} formed. Visitors also ask about {{topics[(i + 1) % topics.Length]}} trips."}""")));
        _folder.File("datasets/tiny-beir/queries.jsonl", string.Join('\n', topics.Select((t, i) => $$"""{"_id": "q{{i}}", "text": "how did the {{t}} form"}""")));
        _folder.File("datasets/tiny-beir/qrels/test.tsv", "query-id\tcorpus-id\tscore\n" + string.Join('\n', topics.Select((_, i) => $"q{i}\td{i}\t1")));
        foreach (var settings in (string[][])[[], ["--bm25-k1", "0.1", "--bm25-b", "0.0"]])
        {
            var result = await SiftProcess.RunAsync(Store, ["eval", "retrieval", "--dataset", dataset, "--collection", "handbook-eval", "--embedder", "none", .. settings]);
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException($"sift eval retrieval failed: {result.Stderr}");
            }
        }
    }
}
