using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Sift.Tests.Support;

namespace Sift.Tests.Cli;

/// <summary>
/// A collection's files against tampering and damage, through the real CLI: a vector index copied from another
/// collection, a chunk's text edited behind Sift's back, and a database page overwritten with garbage.
/// </summary>
[Trait("Category", "Slow")]
public sealed class IntegrityCliTests : IDisposable
{
    private const string StackTraceLine = "   at ";
    private readonly TempFolder _folder = new();

    private string Store => _folder.Combine("store");

    public void Dispose() => _folder.Dispose();

    private Task<ProcessResult> Sift(params string[] args) => SiftProcess.RunAsync(Store, args);

    private static List<(string DocumentId, double Score)> Results(ProcessResult search)
    {
        Assert.True(search.ExitCode == 0, search.Stderr);
        using var json = JsonDocument.Parse(search.Stdout);
        return [.. json.RootElement.GetProperty("results").EnumerateArray()
            .Select(r => (r.GetProperty("documentId").GetString()!, r.GetProperty("score").GetDouble()))];
    }

    [Fact]
    public async Task AVectorIndexCopiedFromAnotherCollectionIsRefusedAndRebuilt()
    {
        string[] animals = ["cats purr and hunt mice", "dogs bark and fetch sticks", "horses gallop in fields", "owls hoot at night", "fish swim in rivers", "bees make honey"];
        string[] machines = ["cars burn petrol on roads", "trains run on rails", "planes fly above clouds", "ships sail across oceans", "bicycles have pedals", "rockets reach orbit"];
        for (var i = 0; i < animals.Length; i++)
        {
            _folder.File($"a/doc{i}.txt", animals[i]);
            _folder.File($"b/doc{i}.txt", machines[i]);
        }

        foreach (var name in new[] { "a", "b" })
        {
            var ingest = await Sift("ingest", _folder.Combine(name), "-c", name, "--embedder", "glove");
            Assert.True(ingest.ExitCode == 0, ingest.Stderr);
        }

        string[] search = ["search", "vehicle engine travel", "-c", "b", "--mode", "dense", "-k", "10", "--json"];
        var before = Results(await Sift(search));
        Assert.Equal(6, before.Count);

        // Same embedder, same chunk ids 1..6: before collection ids, B searched A's vectors under B's chunk ids.
        File.Copy(Path.Combine(Store, "a", "vectors.idx"), Path.Combine(Store, "b", "vectors.idx"), overwrite: true);
        var copied = await Sift(search);
        Assert.Equal(before, Results(copied));
        Assert.Contains("warning: the vector index of collection 'b'", copied.Stderr, StringComparison.Ordinal);
        Assert.Contains("belongs to another collection", copied.Stderr, StringComparison.Ordinal);
        Assert.Contains("rebuilt it from the stored vectors", copied.Stderr, StringComparison.Ordinal);

        // The rebuilt file is B's own: the next search neither warns nor rebuilds, and the check is clean.
        var again = await Sift(search);
        Assert.Equal(before, Results(again));
        Assert.Equal("", again.Stderr);
        var check = await Sift("collections", "check", "b");
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
    }

    [Fact]
    public async Task ADamagedLexicalIndexIsReportedSearchedAroundAndRebuilt()
    {
        for (var i = 0; i < 20; i++)
        {
            _folder.File($"docs/doc{i}.txt", $"note {i}: valves and pumps need inspection {(i % 2 == 0 ? "every spring" : "after storms")}");
        }

        Assert.Equal(0, (await Sift("ingest", _folder.Combine("docs"), "-c", "kb")).ExitCode);
        string[] search = ["search", "pump inspection storms", "-c", "kb", "-k", "20", "--json"];
        var before = Results(await Sift(search));
        Assert.Equal(20, before.Count);
        Assert.Equal(0, (await Sift("collections", "check", "kb")).ExitCode);

        var index = Path.Combine(Store, "kb", "lexical.idx");
        var bytes = File.ReadAllBytes(index);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(index, bytes);

        var damaged = await Sift(search);
        Assert.Equal(before, Results(damaged));
        Assert.Contains("warning: the lexical index of collection 'kb'", damaged.Stderr, StringComparison.Ordinal);
        var check = await Sift("collections", "check", "kb");
        Assert.Equal(1, check.ExitCode);
        Assert.Contains("checksum does not match", check.Stdout + check.Stderr, StringComparison.Ordinal);
        Assert.Contains("all in its index files; rebuild them with: sift collections rebuild kb", check.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("repair", check.Stderr, StringComparison.Ordinal);

        var rebuild = await Sift("collections", "rebuild", "kb", "--json");
        Assert.True(rebuild.ExitCode == 0, rebuild.Stderr);
        Assert.Equal(20, JsonDocument.Parse(rebuild.Stdout).RootElement.GetProperty("chunks").GetInt32());
        var after = await Sift(search);
        Assert.Equal(before, Results(after));
        Assert.Equal("", after.Stderr);
        Assert.Equal(0, (await Sift("collections", "check", "kb")).ExitCode);
    }

    [Fact]
    public async Task AnIndexFileOfTheOlderFormatIsRebuiltWithoutFuss()
    {
        _folder.File("docs/a.txt", "cats purr and hunt mice");
        _folder.File("docs/b.txt", "cars burn petrol on roads");
        Assert.Equal(0, (await Sift("ingest", _folder.Combine("docs"), "-c", "kb")).ExitCode);
        string[] search = ["search", "automobile", "-c", "kb", "--mode", "dense", "--json"];
        var before = Results(await Sift(search));

        var index = Path.Combine(Store, "kb", "vectors.idx");
        var bytes = File.ReadAllBytes(index);
        BitConverter.GetBytes(1).CopyTo(bytes, "SIFTVEC1".Length); // format 1: the version before collection ids
        File.WriteAllBytes(index, bytes);

        var after = await Sift(search);
        Assert.Equal(before, Results(after));
        Assert.Equal("", after.Stderr);
        Assert.Equal(0, (await Sift("collections", "check", "kb")).ExitCode);
    }

    [Fact]
    public async Task CheckFindsAChunkEditedBehindSiftsBack()
    {
        _folder.File("docs/a.txt", "Kubernetes pods restart when their liveness probes fail.");
        _folder.File("docs/b.txt", "Quarterly report figures for the finance team.");
        Assert.Equal(0, (await Sift("ingest", _folder.Combine("docs"), "-c", "kb")).ExitCode);
        var clean = await Sift("collections", "check", "kb");
        Assert.True(clean.ExitCode == 0, clean.Stdout + clean.Stderr);

        using (var connection = OpenDatabase("kb"))
        {
            Execute(connection, "UPDATE chunks SET text = substr(text, 1, 10) || 'XYZ' || substr(text, 14) WHERE document_id = 'docs/b.txt'");
            Assert.Equal("ok", Scalar(connection, "PRAGMA integrity_check"));
        }

        var check = await Sift("collections", "check", "kb", "--json");
        Assert.Equal(1, check.ExitCode);
        Assert.DoesNotContain(StackTraceLine, check.Stderr, StringComparison.Ordinal);
        Assert.Contains("sift collections repair kb --to", check.Stderr, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(check.Stdout);
        Assert.False(report.RootElement.GetProperty("ok").GetBoolean());
        var checks = report.RootElement.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.True(checks["sqlite"].GetProperty("ok").GetBoolean());
        var problem = Assert.Single(checks["chunk hashes"].GetProperty("problems").EnumerateArray());
        Assert.Equal("docs/b.txt", problem.GetProperty("documentId").GetString());
        Assert.Equal(0, problem.GetProperty("ordinal").GetInt32());

        var human = await Sift("collections", "check", "kb");
        Assert.Equal(1, human.ExitCode);
        Assert.Contains("document docs/b.txt, chunk 0: the text does not match its content hash", human.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADamagedDatabaseIsCheckedAndRepairedIntoANewSearchableCollection()
    {
        const int Documents = 300;
        const int Damaged = Documents / 2;
        var corpus = new StringBuilder();
        for (var i = 0; i < Documents; i++)
        {
            var body = $"marker{i} " + string.Join(' ', Enumerable.Range(0, 80).Select(w => $"topic{i % 7} word{(w * 31 + i) % 97}"));
            corpus.Append(JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = $"doc{i}", ["title"] = $"Document {i}", ["text"] = body })).Append('\n');
        }

        _folder.File("corpus.jsonl", corpus.ToString());
        var ingest = await Sift("ingest", _folder.Combine("corpus.jsonl"), "-c", "kb", "--chunker", "document");
        Assert.True(ingest.ExitCode == 0, ingest.Stderr);
        SqliteConnection.ClearAllPools();

        // Overwrite, with seeded garbage, the whole page that holds the middle document's chunk.
        var database = Path.Combine(Store, "kb", "collection.db");
        Assert.False(File.Exists(database + "-wal") && new FileInfo(database + "-wal").Length > 0, "ingest leaves everything in the database file");
        var bytes = File.ReadAllBytes(database);
        var pageSize = (bytes[16] << 8) | bytes[17];
        var offset = IndexOf(bytes, Encoding.UTF8.GetBytes($"marker{Damaged} "));
        Assert.True(offset > 0);
        var garbage = new byte[pageSize];
        new Random(20261126).NextBytes(garbage);
        garbage.CopyTo(bytes, offset / pageSize * pageSize);
        File.WriteAllBytes(database, bytes);
        var damagedHash = SHA256.HashData(bytes);

        // The lexical index file holds every term, so only a search whose hits sit on the damaged page reads it.
        Assert.Equal(0, (await Sift("search", "marker3", "-c", "kb")).ExitCode);
        var search = await Sift("search", $"marker{Damaged}", "-c", "kb");
        Assert.Equal(1, search.ExitCode);
        Assert.DoesNotContain(StackTraceLine, search.Stderr, StringComparison.Ordinal);
        Assert.Contains("sift collections check", search.Stderr, StringComparison.Ordinal);

        var check = await Sift("collections", "check", "kb");
        Assert.Equal(1, check.ExitCode);
        Assert.DoesNotContain(StackTraceLine, check.Stderr, StringComparison.Ordinal);
        Assert.Contains("FAIL sqlite", check.Stdout, StringComparison.Ordinal);
        Assert.Contains("chunks: row", check.Stdout, StringComparison.Ordinal);
        Assert.Contains("cannot be read", check.Stdout, StringComparison.Ordinal);

        var repair = await Sift("collections", "repair", "kb", "--to", "fixed", "--json");
        Assert.True(repair.ExitCode == 0, repair.Stderr);
        Assert.DoesNotContain(StackTraceLine, repair.Stderr, StringComparison.Ordinal);
        using (var report = JsonDocument.Parse(repair.Stdout))
        {
            var lost = report.RootElement.GetProperty("documentsLost").EnumerateArray().Select(d => d.GetProperty("documentId").GetString()!).ToList();
            var recovered = report.RootElement.GetProperty("documentsRecovered").GetInt32();
            Assert.Contains($"doc{Damaged}", lost);
            Assert.InRange(lost.Count, 1, 5); // one page's worth of chunks, not the collection
            Assert.Equal(Documents, recovered + lost.Count);
            Assert.Equal(recovered, report.RootElement.GetProperty("vectorsKept").GetInt32());
            Assert.NotEmpty(report.RootElement.GetProperty("unreadableRows").EnumerateArray());
        }

        Assert.Equal(damagedHash, SHA256.HashData(File.ReadAllBytes(database))); // the damaged collection was only read
        var human = await Sift("collections", "repair", "kb", "--to", "fixed");
        Assert.Equal(1, human.ExitCode);
        Assert.Contains("collection 'fixed' already exists", human.Stderr, StringComparison.Ordinal);

        var fixedCheck = await Sift("collections", "check", "fixed");
        Assert.True(fixedCheck.ExitCode == 0, fixedCheck.Stdout + fixedCheck.Stderr);
        Assert.Equal("doc3", Results(await Sift("search", "marker3", "-c", "fixed", "--json"))[0].DocumentId);
        Assert.Empty(Results(await Sift("search", $"marker{Damaged}", "-c", "fixed", "--json")));
        var dense = Results(await Sift("search", "topic5 word3", "-c", "fixed", "--mode", "dense", "-k", "10", "--json"));
        Assert.Equal(10, dense.Count);
        Assert.DoesNotContain(dense, r => r.DocumentId == $"doc{Damaged}");
    }

    private SqliteConnection OpenDatabase(string collection)
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(Store, collection, "collection.db")};Pooling=False");
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
