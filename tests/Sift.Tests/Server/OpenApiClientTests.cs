using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NJsonSchema;
using NSwag;
using NSwag.CodeGeneration.CSharp;
using NSwag.CodeGeneration.OperationNameGenerators;
using Sift.Server;
using Sift.Server.Auth;
using Sift.Tests.Support;

namespace Sift.Tests.Server;

/// <summary>
/// The OpenAPI document is right when a client generated from it works. At test time NSwag writes a C# client from
/// the live <c>/openapi/v1.json</c>, Roslyn compiles it, and every documented operation is called through it against
/// a real server, so any drift between the document and the server fails here. The client uses Newtonsoft because
/// it enforces "required" and non-null while reading responses, which checks the response schemas too.
/// </summary>
public sealed class OpenApiClientTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task AClientGeneratedFromTheDocumentMakesEveryDocumentedCall()
    {
        var store = _folder.Combine("store");
        var key = new ApiKeyStore(store).Create("client", [Scopes.Read, Scopes.Ingest], ["notes"], []).Secret;
        await using var server = await RunningServer.StartAsync(new ServerOptions { StoreRoot = store });
        var json = await server.Client().GetStringAsync("/openapi/v1.json", Cancel);
        var document = await OpenApiDocument.FromJsonAsync(json, cancellationToken: Cancel);

        // Every operation has a name: it becomes the client's method (NSwag otherwise guesses, e.g. "Readyz2Async").
        Assert.Empty(document.Operations.Where(o => string.IsNullOrEmpty(o.Operation.OperationId)).Select(o => $"{o.Method} {o.Path}"));

        // NSwag sends one body type per operation and picks JSON where an upload also takes multipart/form-data, so
        // the multipart body gets a client of its own, from the same document with only that body.
        var multipartOnly = await OpenApiDocument.FromJsonAsync(json, cancellationToken: Cancel);
        foreach (var operation in multipartOnly.Operations.Select(o => o.Operation).Where(o => o.RequestBody?.Content.ContainsKey("multipart/form-data") == true))
        {
            operation.RequestBody.Content.Remove("application/json");
        }

        var generated = Compile(Generate(document, "Generated"), Generate(multipartOnly, "Generated.Multipart"));
        dynamic New(string type, params object?[] args) => Activator.CreateInstance(generated.GetType($"Generated.{type}", throwOnError: true)!, args)!;
        dynamic Enum(string type, string name) => System.Enum.Parse(generated.GetType($"Generated.{type}", throwOnError: true)!, name);

        var recorder = new Recorder { InnerHandler = new HttpClientHandler() };
        var http = server.Client(key, recorder);
        dynamic client = New("SiftClient", http);
        dynamic multipartClient = New("Multipart.SiftClient", http);

        // Health and readiness have names and typed bodies (they had neither: "HealthzAsync", "Readyz2Async", no result).
        Assert.Equal("alive", (string)(await client.GetHealthAsync()).Status);

        // Upload JSON records; ids may contain slashes.
        dynamic Record(string id, string text, string topic)
        {
            dynamic record = New("DocumentRecord");
            record.Id = id;
            record.Text = text;
            record.Metadata = new Dictionary<string, string> { ["topic"] = topic };
            return record;
        }

        dynamic upload = New("DocumentsUpload");
        upload.Documents.Add(Record("notes/ocelot.txt", "The ocelot is a wild cat of the Americas that hunts at night.", "cats"));
        upload.Documents.Add(Record("notes/heron.txt", "The grey heron is a wading bird that hunts fish at night in shallow water.", "birds"));
        upload.Documents.Add(Record("a%20b", "A literal percent sign in an id.", "ids"));
        upload.Documents.Add(Record("a b", "A space in an id.", "ids"));
        dynamic job = await FinishedAsync(client, await client.UploadDocumentsAsync("notes", upload, null, null));
        Assert.Equal(("Succeeded", 4), ($"{job.Status}", (int)job.Added));

        // Upload a file as multipart/form-data with an access list this key does not hold. The form's schema has files
        // and acl (it was the JSON schema, so a client would have sent a "documents" field).
        using var file = new MemoryStream(Encoding.UTF8.GetBytes("# Lynx\n\nThe lynx is a wild cat of northern forests that hunts at night."));
        dynamic files = Array.CreateInstance(generated.GetType("Generated.Multipart.FileParameter", throwOnError: true)!, 1);
        files[0] = New("Multipart.FileParameter", file, "lynx.md", "text/markdown");
        job = await FinishedAsync(client, await multipartClient.UploadDocumentsAsync("notes", files, "group:keepers"));
        Assert.Equal(("Succeeded", 1), ($"{job.Status}", (int)job.Added));

        List<string> names = Names((await client.ListCollectionsAsync()).Collections);
        Assert.Equal(["notes"], names);
        dynamic details = await client.GetCollectionAsync("notes");
        Assert.Equal((4L, "Bm25"), ((long)details.Documents, $"{details.Mode}")); // the lynx is hidden by its acl; modes and job statuses are enums

        // Search: k is an integer, mode an enum, filters a map of metadata key to allowed values (they were a bare object).
        dynamic search = New("SearchRequest");
        search.Query = "wild cat hunting at night";
        search.K = 5;
        search.Mode = Enum("SearchRequestMode", "Bm25");
        Assert.Equal(typeof(IDictionary<string, ICollection<string>>), generated.GetType("Generated.SearchRequest", throwOnError: true)!.GetProperty("Filters")!.PropertyType);
        search.Filters = new Dictionary<string, ICollection<string>> { ["topic"] = ["cats"] };
        List<string> found = DocumentIds((await client.SearchAsync("notes", search)).Results);
        Assert.Equal(["notes/ocelot.txt"], found);
        // The query is required and not null (it read as nullable): the client refuses to send a search without one.
        await Assert.ThrowsAsync<Newtonsoft.Json.JsonSerializationException>(async () => { await client.SearchAsync("notes", New("SearchRequest")); });
        // Problems carry a typed code and, for validation, each field's errors (both were undocumented).
        search.K = 0;
        var (status, problem) = await ProblemAsync(async () => { await client.SearchAsync("notes", search); });
        Assert.Equal((400, "validation_failed", 1), (status, (string)problem.Code, (int)problem.Errors["k"].Count));
        search.K = 5;

        // Ask as JSON, then rate the answer. NSwag's client cannot read the Server-Sent Events form, which is
        // documented as text (it claimed to be one AnswerResult).
        Assert.Equal(JsonObjectType.String, document.Operations.Single(o => o.Operation.OperationId == "Ask").Operation.Responses["200"].Content["text/event-stream"].Schema.Type);
        dynamic ask = New("AskRequest");
        ask.Question = "Which wild cat hunts at night?";
        ask.K = 3;
        ask.Budget = 1000;
        dynamic answer = await client.AskAsync("notes", ask);
        List<string> retrieved = DocumentIds(answer.Retrieved);
        Assert.Contains("notes/ocelot.txt", retrieved);
        dynamic feedback = New("FeedbackRequest");
        feedback.AnswerId = (string)answer.Id;
        feedback.Rating = Enum("FeedbackRequestRating", "Up");
        feedback.Comment = "through the generated client";
        await client.FeedbackAsync(feedback);

        // The OpenAI-compatible endpoints are documented as well (a collection as a model).
        Assert.Contains("notes", ((IEnumerable<dynamic>)(await client.ListModelsAsync()).Data).Select(m => (string)m.Id));
        Assert.Equal("notes", (string)(await client.GetModelAsync("notes")).Id);
        dynamic chat = New("ChatCompletionRequest");
        chat.Model = "notes";
        dynamic message = New("ChatMessageIn");
        message.Role = Enum("ChatMessageInRole", "User");
        message.Content = "What does the ocelot hunt at night?";
        chat.Messages.Add(message);
        dynamic completion = await client.ChatCompletionsAsync(chat);
        Assert.Equal("chat.completion", (string)completion.Object);
        Assert.Contains("ocelot", (string)completion.Choices[0].Message.Content, StringComparison.OrdinalIgnoreCase);

        dynamic ready = await client.GetReadinessAsync();
        Assert.Equal(("ready", "ready"), ((string)ready.Status, (string)ready.Collections["notes"]));
        Assert.Equal("ready", (string)(await client.GetCollectionReadinessAsync("notes")).Status);

        // Delete by an id with a slash (sent as %2F); the same call again is a 404 problem.
        await client.DeleteDocumentAsync("notes", "notes/ocelot.txt");
        Assert.Contains(recorder.Calls, c => c == ("DELETE", "/v1/collections/notes/documents/notes%2Focelot.txt", 204));
        (status, problem) = await ProblemAsync(async () => { await client.DeleteDocumentAsync("notes", "notes/ocelot.txt"); });
        Assert.Equal((404, "not_found"), (status, (string)problem.Code));
        found = DocumentIds((await client.SearchAsync("notes", search)).Results);
        Assert.Empty(found);

        // An id is decoded once: deleting "a%20b" (sent as a%2520b) leaves "a b" alone.
        await client.DeleteDocumentAsync("notes", "a%20b");
        dynamic idSearch = New("SearchRequest");
        idSearch.Query = "id";
        List<string> remaining = DocumentIds((await client.SearchAsync("notes", idSearch)).Results);
        Assert.Equal(["a b"], remaining);

        // Versions and canaries (admin): each upload and delete above made a version of "notes".
        var adminKey = new ApiKeyStore(store).Create("operator", [Scopes.Read, Scopes.Admin], ["*"], []).Secret;
        dynamic admin = New("SiftClient", server.Client(adminKey, recorder));
        dynamic versions = await admin.ListVersionsAsync("notes");
        Assert.True((int)versions.Versions.Count >= 3);
        dynamic alias = New("AliasRequest");
        alias.Version = "1";
        Assert.Equal(1L, (long)(await admin.MoveAliasAsync("notes", "candidate", alias)).Version);
        dynamic plan = New("CanaryPlan");
        plan.Candidate = "candidate";
        plan.Baseline = "prod";
        plan.Share = 0.25;
        plan.Alpha = 0.05;
        plan.MinRequests = 30;
        Assert.Equal("running", (string)(await admin.StartCanaryAsync("notes", plan)).State);
        Assert.Equal(0.25, (double)(await admin.GetCanaryAsync("notes")).Plan.Share);
        await admin.StopCanaryAsync("notes");
        dynamic rollback = New("RollbackRequest");
        Assert.True((long)(await admin.RollbackAliasAsync("notes", "prod", rollback)).Version >= 1);
        Assert.False((bool)(await admin.MonitorAsync("notes", null, null, null)).Alert);
        Assert.Equal(0, (int)(await admin.DiffVersionsAsync("notes", "1", "1")).Changed.Count);
        Assert.Equal(0L, (long)(await admin.CollectVersionsAsync("notes", 100)).DeletedDocumentRevisions);

        // Every documented operation was answered with success through a generated client: a new endpoint needs a call here.
        var uncalled = document.Operations.Where(o => !recorder.Calls.Any(c =>
            c.Method.Equals(o.Method, StringComparison.OrdinalIgnoreCase) && c.Status is >= 200 and < 300 && PathPattern(o.Path).IsMatch(c.Path)));
        Assert.Empty(uncalled.Select(o => $"{o.Method.ToUpperInvariant()} {o.Path}"));
    }

    /// <summary>The status and problem a call fails with, read through the generated client's exception type.</summary>
    private static async Task<(int Status, dynamic Problem)> ProblemAsync(Func<Task> call)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(call);
        Assert.Equal("Generated.ApiException`1[Generated.ProblemDetails]", error.GetType().ToString());
        dynamic typed = error;
        return ((int)typed.StatusCode, typed.Result);
    }

    private static async Task<dynamic> FinishedAsync(dynamic client, dynamic job)
    {
        for (var attempt = 0; attempt < 300 && $"{job.Status}" is "Queued" or "Running"; attempt++)
        {
            await Task.Delay(50, Cancel);
            job = await client.GetJobAsync((string)job.Id);
        }

        return job;
    }

    private static List<string> DocumentIds(object hits) => [.. ((IEnumerable<dynamic>)hits).Select(h => (string)h.DocumentId)];

    private static List<string> Names(object collections) => [.. ((IEnumerable<dynamic>)collections).Select(c => (string)c.Name)];

    /// <summary>A path template as a pattern: each parameter is one segment, so "/" inside a value must arrive encoded.</summary>
    private static Regex PathPattern(string template) =>
        new($"^{Regex.Replace(Regex.Escape(template), @"\\\{[^/]+?}", "[^/]+")}$", RegexOptions.CultureInvariant);

    private static string Generate(OpenApiDocument document, string ns)
    {
        var settings = new CSharpClientGeneratorSettings
        {
            ClassName = "SiftClient",
            OperationNameGenerator = new SingleClientFromOperationIdOperationNameGenerator(),
            UseBaseUrl = false, // requests go to the HttpClient's BaseAddress
        };
        settings.CSharpGeneratorSettings.Namespace = ns;
        return new CSharpClientGenerator(document, settings).GenerateFile();
    }

    /// <summary>Compiles the generated sources against the runtime and Newtonsoft.Json; an error fails the test with the diagnostics.</summary>
    private static Assembly Compile(params string[] sources)
    {
        var runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetDirectoryName(p) == runtime)
            .Append(typeof(Newtonsoft.Json.JsonConvert).Assembly.Location)
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create(
            $"SiftClient{Guid.NewGuid():N}", sources.Select(s => CSharpSyntaxTree.ParseText(s, cancellationToken: Cancel)), references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var image = new MemoryStream();
        var result = compilation.Emit(image, cancellationToken: Cancel);
        Assert.True(result.Success, string.Join('\n', result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return Assembly.Load(image.ToArray());
    }

    /// <summary>Records each request as sent (method, encoded path) with the status it got.</summary>
    private sealed class Recorder : DelegatingHandler
    {
        public ConcurrentQueue<(string Method, string Path, int Status)> Calls { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            Calls.Enqueue((request.Method.Method, request.RequestUri!.AbsolutePath, (int)response.StatusCode));
            return response;
        }
    }
}
