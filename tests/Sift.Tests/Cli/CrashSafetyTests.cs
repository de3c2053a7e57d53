using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Sift.Tests.Support;

namespace Sift.Tests.Cli;

/// <summary>
/// Kills a real <c>sift ingest</c> process while it rewrites every document, then checks that the collection opens,
/// passes SQLite's integrity check, searches, and holds each document entirely old or entirely new.
/// </summary>
[Trait("Category", "Slow")]
public sealed class CrashSafetyTests : IDisposable
{
    private const int Documents = 3000;
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task KilledIngestLeavesEachDocumentOldOrNew()
    {
        var store = _folder.Combine("store");
        WriteCorpus("v1.jsonl", "oldversion");
        WriteCorpus("v2.jsonl", "newversion");
        string[] chunking = ["--chunker", "fixed", "--chunk-size", "100", "--chunk-overlap", "0"];
        Assert.Equal(0, (await SiftProcess.RunAsync(store, ["ingest", _folder.Combine("v1.jsonl"), "-c", "kb", .. chunking])).ExitCode);
        File.Move(_folder.Combine("v2.jsonl"), _folder.Combine("v1.jsonl"), overwrite: true);

        using (var process = SiftProcess.Start(store, ["ingest", _folder.Combine("v1.jsonl"), "-c", "kb", .. chunking]))
        {
            await WaitUntilAsync(() => CountChunks(store, "newversion") > 0 || process.HasExited);
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        SqliteConnection.ClearAllPools();
        var versions = DocumentVersions(store);
        Assert.Equal(Documents, versions.Count);
        Assert.All(versions, v => Assert.True(v.Value is "oldversion" or "newversion", $"{v.Key} is {v.Value}"));
        var rewritten = versions.Count(v => v.Value == "newversion");
        Assert.InRange(rewritten, 1, Documents - 1); // killed part-way, or the test proved nothing

        using (var connection = Open(store))
        using (var check = connection.CreateCommand())
        {
            check.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", check.ExecuteScalar());
        }

        var search = await SiftProcess.RunAsync(store, "search", "oldversion", "-c", "kb", "--json");
        Assert.Equal(0, search.ExitCode);
        Assert.NotEmpty(JsonDocument.Parse(search.Stdout).RootElement.GetProperty("results").EnumerateArray());

        // Re-running finishes the job, skipping what the killed run had already committed.
        var resumed = await SiftProcess.RunAsync(store, ["ingest", _folder.Combine("v1.jsonl"), "-c", "kb", "--json", .. chunking]);
        using var summary = JsonDocument.Parse(resumed.Stdout);
        Assert.Equal(rewritten, summary.RootElement.GetProperty("summary").GetProperty("unchanged").GetInt32());
        Assert.All(DocumentVersions(store), v => Assert.Equal("newversion", v.Value));
    }

    private void WriteCorpus(string name, string version)
    {
        var text = new StringBuilder();
        for (var i = 0; i < Documents; i++)
        {
            var body = string.Join(' ', Enumerable.Range(0, 200).Select(w => $"{version} word{w % 37} item{i}"));
            text.Append(JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = $"doc{i}", ["title"] = $"Document {i}", ["text"] = body })).Append('\n');
        }

        File.WriteAllText(_folder.Combine(name), text.ToString());
    }

    /// <summary>Per document: the single version all its chunks carry, or "mixed", or "incomplete" when chunks are missing.</summary>
    private static Dictionary<string, string> DocumentVersions(string store)
    {
        using var connection = Open(store);
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT d.id, d.chunk_count, COUNT(c.id),
                   SUM(c.text LIKE '%oldversion%'), SUM(c.text LIKE '%newversion%')
            FROM documents d LEFT JOIN chunks c ON c.document_id = d.id GROUP BY d.id
            """;
        using var reader = command.ExecuteReader();
        var versions = new Dictionary<string, string>();
        while (reader.Read())
        {
            var (expected, actual, old, @new) = (reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
            versions[reader.GetString(0)] = expected != actual ? "incomplete"
                : old == actual ? "oldversion"
                : @new == actual ? "newversion"
                : "mixed";
        }

        return versions;
    }

    private static long CountChunks(string store, string version)
    {
        using var connection = Open(store);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM chunks WHERE text LIKE '%{version}%'";
        return (long)command.ExecuteScalar()!;
    }

    private static SqliteConnection Open(string store)
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(store, "kb", "collection.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        return connection;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }
}
