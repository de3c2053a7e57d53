using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Sift.Tests.Support;

namespace Sift.Tests.Cli;

/// <summary>
/// Real documents written by others, through the real CLI: the SQLite HTML manual (Debian's sqlite3-doc, 766 pages)
/// and the gnuplot PDF manual (gnuplot-doc). ./test.sh installs both. A missing file fails the test with what to run;
/// the test skips only when test.sh itself could not install the package (it names it in SIFT_UNINSTALLABLE).
/// </summary>
[Trait("Category", "Slow")]
public sealed partial class ThirdPartyDocumentsCliTests : IDisposable
{
    private const string SqliteManual = "/usr/share/doc/sqlite3";
    private const string GnuplotManual = "/usr/share/doc/gnuplot/gnuplot.pdf";

    private readonly TempFolder _folder = new();

    private string Store => _folder.Combine("store");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task TheSqliteHtmlManualIngestsIntoCleanSmallChunksThatFindTheRightPage()
    {
        RequireInstalled("sqlite3-doc", Path.Combine(SqliteManual, "wal.html"));

        // BM25 only: embedding 7,000 chunks would test the embedder, not the loader.
        var ingest = await SiftProcess.RunAsync(Store, "ingest", SqliteManual, "-c", "sqlite", "--embedder", "none", "--json");
        Assert.True(ingest.ExitCode == 0, ingest.Stderr);
        using (var summary = JsonDocument.Parse(ingest.Stdout))
        {
            Assert.True(summary.RootElement.GetProperty("summary").GetProperty("added").GetInt32() > 700);
        }

        var chunks = ChunkTexts("sqlite");
        var glued = chunks.SelectMany(Words).Where(w => Glued().IsMatch(w)).ToList();
        var longest = chunks.Max(c => Words(c).Length);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{chunks.Count} chunks; {glued.Count} tokens with lowercase+UPPERCASE+lowercase (e.g. {string.Join(", ", glued.Distinct().Take(5))}); longest chunk {longest} words");

        // What is left are real C identifiers (pVTab, nDLt); inline elements without spaces between them used to glue
        // words into thousands of tokens such as xBETWEENyANDz.
        Assert.True(glued.Count < 100, $"{glued.Count} glued-looking tokens: {string.Join(", ", glued.Distinct().Take(20))}");
        Assert.DoesNotContain(glued, w => w.Contains("BETWEEN", StringComparison.Ordinal));
        Assert.True(longest <= 200, $"a chunk of {longest} words, over the default chunk size of 200");

        // The site's header (tagline and menus) is on every page: dropped as boilerplate, as is each page's table of contents.
        Assert.DoesNotContain(chunks, c => c.Contains("Small. Fast. Reliable.", StringComparison.Ordinal));
        Assert.DoesNotContain(chunks, c => c.Contains("2.3. Performance Considerations\n3. Activating", StringComparison.Ordinal));

        // "write-ahead logging" ranks wal.html 5th by BM25 (measured): pragma.html's long WAL passages, wal_hook.html and
        // fileformat.html with its byte-identical copy fileformat2.html come first, all rightly about the write-ahead log.
        Assert.Contains("sqlite3/wal.html", await TopDocumentsAsync("sqlite", "write-ahead logging", 5));
        Assert.Contains("sqlite3/wal.html", await TopDocumentsAsync("sqlite", "WAL mode", 3));
        Assert.Contains("sqlite3/foreignkeys.html", await TopDocumentsAsync("sqlite", "foreign key constraints", 3));
    }

    private async Task<List<string?>> TopDocumentsAsync(string collection, string query, int k)
    {
        var search = await SiftProcess.RunAsync(Store, "search", query, "-c", collection, "-k", k.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");
        Assert.True(search.ExitCode == 0, search.Stderr);
        using var results = JsonDocument.Parse(search.Stdout);
        return [.. results.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("documentId").GetString())];
    }

    [Fact]
    public async Task TheGnuplotPdfManualIngestsWithPageNumbers()
    {
        RequireInstalled("gnuplot-doc", GnuplotManual);

        var ingest = await SiftProcess.RunAsync(Store, "ingest", GnuplotManual, "-c", "gnuplot", "--embedder", "none");
        Assert.True(ingest.ExitCode == 0, ingest.Stderr);

        var chunks = ChunkTexts("gnuplot");
        Assert.True(chunks.Count > 300, $"{chunks.Count} chunks");
        Assert.True(chunks.Max(c => Words(c).Length) <= 200);

        var search = await SiftProcess.RunAsync(Store, "search", "logscale axes", "-c", "gnuplot", "-k", "3", "--json");
        Assert.True(search.ExitCode == 0, search.Stderr);
        using var results = JsonDocument.Parse(search.Stdout);
        var first = results.RootElement.GetProperty("results")[0];
        Assert.Contains("logscale", first.GetProperty("snippet").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.True(first.TryGetProperty("page", out var page) && page.GetInt32() > 1, first.ToString());
    }

    /// <summary>Fails naming what to run when the file is missing, unless test.sh said the package cannot be installed.</summary>
    private static void RequireInstalled(string package, string file)
    {
        if (File.Exists(file))
        {
            return;
        }

        var uninstallable = (Environment.GetEnvironmentVariable("SIFT_UNINSTALLABLE") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (uninstallable.Contains(package, StringComparer.Ordinal))
        {
            Assert.Skip($"the Debian package {package} could not be installed on this machine (test.sh tried), so {file} is missing");
        }

        Assert.Fail($"{file} is missing: run ./test.sh, which installs the Debian package {package} (or: apt-get install {package})");
    }

    private List<string> ChunkTexts(string collection)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(Store, collection, "collection.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT text FROM chunks";
        using var reader = command.ExecuteReader();
        var texts = new List<string>();
        while (reader.Read())
        {
            texts.Add(reader.GetString(0));
        }

        return texts;
    }

    private static string[] Words(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    [GeneratedRegex("[a-z][A-Z]{2,}[a-z]")]
    private static partial Regex Glued();
}
