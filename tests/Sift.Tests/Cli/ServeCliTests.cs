using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Sift.Tests.Support;

namespace Sift.Tests.Cli;

/// <summary><c>sift keys</c> and <c>sift serve</c> as a user runs them: a real process, stopped with SIGTERM.</summary>
public sealed class ServeCliTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private string Store => _folder.Combine("store");

    public void Dispose() => _folder.Dispose();

    private Task<ProcessResult> Sift(params string[] args) => SiftProcess.RunAsync(Store, args);

    [Fact]
    public async Task KeysAreCreatedListedAndRevokedAndTheServerStopsGracefullyOnSigterm()
    {
        _folder.File("docs/a.md", "# Proxies\n\nSet the proxy before installing.");
        _folder.File("docs/b.md", "# Salaries\n\nSalary bands are set by finance.");
        Assert.Equal(0, (await Sift("ingest", _folder.Combine("docs/a.md"), "-c", "kb")).ExitCode);
        Assert.Equal(0, (await Sift("ingest", _folder.Combine("docs/b.md"), "-c", "kb", "--acl", "group:finance")).ExitCode);

        var refused = await Sift("serve", "--urls", "http://127.0.0.1:1");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("sift keys create", refused.Stderr, StringComparison.Ordinal);
        var plainHttpProvider = await Sift("serve", "--oidc-authority", "http://idp.example/", "--oidc-audience", "sift");
        Assert.Equal(1, plainHttpProvider.ExitCode);
        Assert.Contains("must be an https URL", plainHttpProvider.Stderr, StringComparison.Ordinal);
        var notAUrl = await Sift("serve", "--oidc-authority", "idp", "--oidc-audience", "sift");
        Assert.NotEqual(0, notAUrl.ExitCode);
        Assert.Contains("--oidc-authority 'idp' is not an absolute http(s) URL", notAUrl.Stderr, StringComparison.Ordinal);
        var badAddress = await Sift("serve", "--urls", "localhost:8080");
        Assert.Equal(1, badAddress.ExitCode);
        Assert.Contains("is not an address to listen on", badAddress.Stderr, StringComparison.Ordinal);
        var noProvider = await Sift("serve", "--oidc-audience", "sift");
        Assert.NotEqual(0, noProvider.ExitCode);
        Assert.Contains("--oidc-audience needs --oidc-authority", noProvider.Stderr, StringComparison.Ordinal);

        var created = await Sift("keys", "create", "--name", "bot", "--scopes", "read", "--collections", "kb", "--json");
        Assert.True(created.ExitCode == 0, created.Stderr);
        string secret, id;
        using (var json = JsonDocument.Parse(created.Stdout))
        {
            secret = json.RootElement.GetProperty("secret").GetString()!;
            id = json.RootElement.GetProperty("id").GetString()!;
        }

        var listed = await Sift("keys", "list", "--json");
        Assert.Contains(id, listed.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, listed.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, (await Sift("keys", "create", "--name", "x", "--scopes", "superuser", "--collections", "kb")).ExitCode);

        var port = LoopbackServer.FreePort();
        using var server = SiftProcess.Start(Store, "serve", "--urls", $"http://127.0.0.1:{port}");
        var output = server.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await WaitForAsync(client);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        using var response = await client.PostAsync("/v1/collections/kb/search", new StringContent("{\"query\": \"proxy salary\"}", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("\"documentId\":\"a.md\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("b.md", body, StringComparison.Ordinal);
        Assert.DoesNotContain(_folder.Path, body, StringComparison.Ordinal); // sources are file names, not this machine's paths

        Assert.Equal(0, (await Sift("keys", "revoke", id)).ExitCode);
        using (var revoked = await client.PostAsync("/v1/collections/kb/search", new StringContent("{\"query\": \"proxy\"}", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        }

        using (var kill = Process.Start("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        await server.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, server.ExitCode);
        var logged = await output;
        Assert.Contains("Application is shutting down", logged, StringComparison.Ordinal);
        // stdout is JSON log lines only (the greeting goes to stderr), so log shippers can parse every line.
        Assert.All(logged.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.StartsWith("{", line, StringComparison.Ordinal));
    }

    private static async Task WaitForAsync(HttpClient client)
    {
        for (var attempt = 0; attempt < 150; attempt++)
        {
            try
            {
                using var health = await client.GetAsync("/healthz", TestContext.Current.CancellationToken);
                if (health.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException("sift serve did not start");
    }
}
