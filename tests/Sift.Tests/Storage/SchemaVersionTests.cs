using System.Text.Json;
using Microsoft.Data.Sqlite;
using Sift.Index.Storage;
using Sift.Tests.Support;

namespace Sift.Tests.Storage;

/// <summary>
/// Stores users already have keep working: a store written by the release before this one (Fixtures/store-v1, schema
/// version 1, lexical index format 1) is migrated in place on open and answers exactly as that release did; a store
/// from a newer Sift is refused, naming both versions.
/// </summary>
public sealed class SchemaVersionTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string CopyOfFixture()
    {
        var source = Path.Combine(Paths.RepositoryRoot, "tests", "Sift.Tests", "Fixtures", "store-v1", "demo");
        var store = _folder.Combine("store");
        Directory.CreateDirectory(Path.Combine(store, "demo"));
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(store, "demo", Path.GetFileName(file)));
        }

        return store;
    }

    private static string Meta(string store, string key)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(store, "demo", Collection.DatabaseFileName)};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = $k";
        command.Parameters.AddWithValue("$k", key);
        return (string)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task AStoreFromThePreviousReleaseIsMigratedInPlaceAndAnswersAsItDid()
    {
        var store = CopyOfFixture();
        Assert.Equal("1", Meta(store, "schema_version"));
        var expected = File.ReadAllLines(Path.Combine(Paths.RepositoryRoot, "tests", "Sift.Tests", "Fixtures", "store-v1", "expected-search.jsonl"))
            .Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(6, expected.Count);
        foreach (var item in expected)
        {
            var query = item.GetProperty("query").GetString()!;
            var mode = item.GetProperty("mode").GetString()!;
            var result = await SiftProcess.RunAsync(store, "search", query, "-c", "demo", "-k", "5", "--mode", mode, "--json");
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.DoesNotContain("warning", result.Stderr, StringComparison.Ordinal);
            var actual = JsonDocument.Parse(result.Stdout).RootElement.GetProperty("results").EnumerateArray()
                .Select(r => $"{r.GetProperty("documentId").GetString()} {Math.Round(r.GetProperty("score").GetDouble(), 4)}");
            var before = item.GetProperty("results").EnumerateArray().Select(r => $"{r[0].GetString()} {r[1].GetDouble()}");
            Assert.Equal(before, actual);
        }

        Assert.Equal(Collection.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), Meta(store, "schema_version"));
        // The older lexical index file was replaced by one of this format on first use.
        var fixture = Path.Combine(Paths.RepositoryRoot, "tests", "Sift.Tests", "Fixtures", "store-v1", "demo", "lexical.idx");
        Assert.NotEqual(File.ReadAllBytes(fixture), File.ReadAllBytes(Path.Combine(store, "demo", "lexical.idx")));
        var check = await SiftProcess.RunAsync(store, "collections", "check", "demo");
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);

        // The old store takes new writes: a re-ingest of the same corpus finds every document unchanged by content.
        var info = await SiftProcess.RunAsync(store, "collections", "info", "demo", "--json");
        Assert.Equal(0, info.ExitCode);
        Assert.Equal(12, JsonDocument.Parse(info.Stdout).RootElement.GetProperty("collection").GetProperty("documents").GetInt32());
    }

    [Fact]
    public async Task AStoreFromANewerSiftIsRefusedNamingBothVersions()
    {
        var store = CopyOfFixture();
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(store, "demo", Collection.DatabaseFileName)};Pooling=false"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE meta SET value = '99' WHERE key = 'schema_version'";
            command.ExecuteNonQuery();
        }

        var result = await SiftProcess.RunAsync(store, "search", "bm25", "-c", "demo");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("schema version 99, written by a newer Sift", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"up to {Collection.SchemaVersion}", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("99", Meta(store, "schema_version"));
    }
}
