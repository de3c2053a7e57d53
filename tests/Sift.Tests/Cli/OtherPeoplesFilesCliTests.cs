using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Sift.Tests.Support;

namespace Sift.Tests.Cli;

/// <summary>
/// What a new user hits in the first hour with files they did not write, through the real CLI: words glued by inline
/// HTML, legacy encodings, binary files with text extensions, symbolic-link loops, named pipes, unsupported files,
/// mixed chunkers, and output piped into other tools.
/// </summary>
public sealed class OtherPeoplesFilesCliTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private string Store => _folder.Combine("store");

    public void Dispose() => _folder.Dispose();

    private Task<ProcessResult> Sift(params string[] args) => SiftProcess.RunAsync(Store, args);

    private async Task<List<string>> SearchAsync(string query, string collection = "kb")
    {
        var result = await Sift("search", query, "-c", collection, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        return [.. json.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("documentId").GetString()!)];
    }

    [Fact]
    public async Task WordsSurviveInlineHtmlAndLegacyEncodingsAndBinaryFilesAreSkippedWithAReason()
    {
        _folder.File("docs/inline.html", "<html><body><p><a>alpha</a> <a>beta</a> and <b>gamma</b> <i>delta</i></p><div>x<span>BETWEEN</span>y</div></body></html>");
        File.WriteAllBytes(_folder.Combine("docs/latin1.txt"), Encoding.Latin1.GetBytes("Café crème brûlée, served cold."));
        File.WriteAllBytes(_folder.Combine("docs/utf16.txt"), [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("Zebra crossings in UTF-16.")]);
        File.WriteAllBytes(_folder.Combine("docs/image.txt"), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
        File.WriteAllBytes(_folder.Combine("docs/logo.png"), [1, 2, 3]);

        var ingest = await Sift("ingest", _folder.Combine("docs"), "-c", "kb");
        Assert.True(ingest.ExitCode == 0, ingest.Stderr);
        Assert.Contains("latin1.txt: not valid UTF-8; read as windows-1252", ingest.Stdout, StringComparison.Ordinal);
        Assert.Contains("image.txt: skipped: binary content", ingest.Stdout, StringComparison.Ordinal);
        Assert.Contains("unsupported types: .png 1", ingest.Stdout, StringComparison.Ordinal);

        Assert.Equal(["docs/inline.html"], await SearchAsync("beta"));
        Assert.Equal(["docs/inline.html"], await SearchAsync("delta"));
        Assert.Empty(await SearchAsync("gammadelta"));
        Assert.Equal(["docs/latin1.txt"], await SearchAsync("café"));
        Assert.Equal(["docs/utf16.txt"], await SearchAsync("zebra"));
        Assert.Empty(await SearchAsync("IHDR"));
        var shown = await Sift("search", "alpha", "-c", "kb", "--json");
        Assert.Contains("alpha beta and gamma delta", shown.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SymbolicLinkLoopsAndNamedPipesDoNotRepeatOrHangAnIngest()
    {
        _folder.File("docs/a/note.txt", "A maintenance note about valves.");
        File.CreateSymbolicLink(_folder.Combine("docs/a/up"), "..");
        File.CreateSymbolicLink(_folder.Combine("docs/again.txt"), _folder.Combine("docs/a/note.txt"));
        using (var mkfifo = Process.Start("mkfifo", _folder.Combine("docs/pipe.txt")))
        {
            await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        var watch = Stopwatch.StartNew();
        var ingest = await Sift("ingest", _folder.Combine("docs"), "-c", "kb", "--json");
        Assert.True(ingest.ExitCode == 0, ingest.Stderr);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), "the named pipe was not opened");
        using var json = JsonDocument.Parse(ingest.Stdout);
        Assert.Equal(1, json.RootElement.GetProperty("summary").GetProperty("added").GetInt32());
        Assert.Single(await SearchAsync("valves"));
    }

    [Fact]
    public async Task AnotherChunkerOnAnExistingCollectionIsRefusedAndOmittingItKeepsTheRecordedOne()
    {
        _folder.File("docs/a.txt", string.Join(' ', Enumerable.Range(0, 500).Select(i => $"word{i}")));
        Assert.Equal(0, (await Sift("ingest", _folder.Combine("docs"), "-c", "kb", "--chunker", "fixed", "--chunk-size", "100")).ExitCode);
        _folder.File("docs/b.txt", "another file");

        var mixed = await Sift("ingest", _folder.Combine("docs"), "-c", "kb", "--chunker", "document");
        Assert.Equal(1, mixed.ExitCode);
        Assert.Contains("was chunked with fixed(size=100", mixed.Stderr, StringComparison.Ordinal);

        var kept = await Sift("ingest", _folder.Combine("docs"), "-c", "kb", "--json");
        Assert.True(kept.ExitCode == 0, kept.Stderr);
        using var info = JsonDocument.Parse((await Sift("collections", "info", "kb", "--json")).Stdout);
        Assert.StartsWith("fixed(size=100", info.RootElement.GetProperty("collection").GetProperty("chunker").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFailedFirstIngestCreatesNoCollection()
    {
        _folder.File("docs/a.txt", "alpha");
        var failed = await Sift("ingest", _folder.Combine("docs"), "-c", "kb", "--embedder", "onnx:/no/such/model");
        Assert.Equal(1, failed.ExitCode);
        Assert.False(Directory.Exists(Path.Combine(Store, "kb")), "the collection folder was left behind");
    }

    [Fact]
    public async Task PipedOutputIsNotWrappedAndInfoShowsSettingsReadably()
    {
        var deep = string.Join('/', Enumerable.Range(0, 12).Select(i => $"folder-with-a-long-name-{i}"));
        _folder.File($"docs/{deep}/note.txt", "A note buried deep in folders about compressors.");
        await Sift("ingest", _folder.Combine("docs"), "-c", "kb");

        var search = await Sift("search", "compressors", "-c", "kb");
        Assert.Contains($"docs/{deep}/note.txt", search.Stdout, StringComparison.Ordinal);
        var info = await Sift("collections", "info", "kb");
        Assert.DoesNotContain("CollectionSettings {", info.Stdout, StringComparison.Ordinal);
        Assert.Contains("HNSW m=16", info.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DocumentsCanBeListedShownQuotedBySpanAndDeleted()
    {
        _folder.File("docs/wal.md", "# WAL\n\nTo turn on write-ahead logging run PRAGMA journal_mode=WAL; once per database.\n");
        _folder.File("docs/other.txt", "Unrelated text about pumps.");
        await Sift("ingest", _folder.Combine("docs"), "-c", "kb", "--meta", "team=db");

        using (var listed = JsonDocument.Parse((await Sift("documents", "list", "-c", "kb", "--json")).Stdout))
        {
            Assert.Equal(["docs/other.txt", "docs/wal.md"], listed.RootElement.GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("id").GetString()));
        }

        var ask = await Sift("ask", "How do I turn on write-ahead logging?", "-c", "kb", "--json");
        using var answer = JsonDocument.Parse(ask.Stdout);
        var citation = answer.RootElement.GetProperty("citations")[0];
        var (start, end) = (citation.GetProperty("start").GetInt32(), citation.GetProperty("end").GetInt32());
        Assert.NotEmpty(citation.GetProperty("headingPath").EnumerateArray()); // the section the quote sits in travels with it
        var shown = await Sift("documents", "show", citation.GetProperty("documentId").GetString()!, "-c", "kb", "--span", $"{start}-{end}");
        Assert.True(shown.ExitCode == 0, shown.Stderr);
        Assert.Contains(citation.GetProperty("quote").GetString()!, shown.Stdout, StringComparison.Ordinal);
        Assert.Contains("WAL", shown.Stdout, StringComparison.Ordinal); // the section it sits in

        Assert.Equal(1, (await Sift("documents", "delete", "docs/other.txt", "docs/nope.txt", "-c", "kb")).ExitCode);
        Assert.Equal(2, JsonDocument.Parse((await Sift("documents", "list", "-c", "kb", "--json")).Stdout).RootElement.GetProperty("documents").GetArrayLength());
        var lexicalIndex = Path.Combine(Store, "kb", "lexical.idx");
        var saved = File.GetLastWriteTimeUtc(lexicalIndex);
        Assert.Equal(0, (await Sift("documents", "delete", "docs/other.txt", "-c", "kb")).ExitCode);
        Assert.True(File.GetLastWriteTimeUtc(lexicalIndex) > saved, "the delete saves the lexical index of the new content");
        Assert.Empty(await SearchAsync("pumps"));
    }

    [Fact]
    public async Task TheSameFileIsTheSameDocumentHoweverItIsNamedOnTheCommandLine()
    {
        _folder.File("corpus/text/x.txt", "Valves must be inspected yearly.");
        _folder.File("corpus/readme.md", "# Corpus\nAbout the corpus.");
        await Sift("ingest", _folder.Combine("corpus"), "-c", "kb");
        await Sift("ingest", _folder.Combine("corpus/text"), "-c", "kb");
        await Sift("ingest", _folder.Combine("corpus/text/x.txt"), "-c", "kb");
        _folder.File("corpus/text/new.txt", "A new note about gaskets.");
        await Sift("ingest", _folder.Combine("corpus/text"), "-c", "kb");
        // A folder reached through a symbolic link is the folder itself.
        Directory.CreateSymbolicLink(_folder.Combine("link"), _folder.Combine("corpus/text"));
        var linked = await Sift("ingest", _folder.Combine("link"), "-c", "kb", "--json");
        Assert.Equal(2, JsonDocument.Parse(linked.Stdout).RootElement.GetProperty("summary").GetProperty("unchanged").GetInt32());

        using var listed = JsonDocument.Parse((await Sift("documents", "list", "-c", "kb", "--json")).Stdout);
        Assert.Equal(
            ["corpus/readme.md", "corpus/text/new.txt", "corpus/text/x.txt"],
            listed.RootElement.GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("id").GetString()));
        Assert.Single(await SearchAsync("valves inspected"));
    }

    [Fact]
    public async Task NothingToIngestIsAnErrorAndLeavesNoCollection()
    {
        Directory.CreateDirectory(_folder.Combine("empty"));
        _folder.File("images/a.png", "not really a png");
        _folder.File("blank.txt", "");
        foreach (var path in new[] { "empty", "images", "blank.txt" })
        {
            var run = await Sift("ingest", _folder.Combine(path), "-c", "kb");
            Assert.Equal(1, run.ExitCode);
            Assert.Contains("nothing to ingest", run.Stderr, StringComparison.Ordinal);
        }

        Assert.Contains("skipped 1 file(s) of unsupported types: .png 1", (await Sift("ingest", _folder.Combine("images"), "-c", "kb")).Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("kb", (await Sift("collections", "list")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnchangedFileIsNotReadAgainAndATouchedOneIsReadButNotRewritten()
    {
        var path = _folder.File("docs/a.md", "# Pumps\nPumps need oil.");
        await Sift("ingest", _folder.Combine("docs"), "-c", "kb");
        var written = File.GetLastWriteTimeUtc(path);

        // Same size and time, different bytes: the stamp says unchanged, so the file is not read (as make and rsync assume).
        File.WriteAllText(path, "# Pumps\nPumps need gas.");
        File.SetLastWriteTimeUtc(path, written);
        using (var skipped = JsonDocument.Parse((await Sift("ingest", _folder.Combine("docs"), "-c", "kb", "--json")).Stdout))
        {
            Assert.Equal(1, skipped.RootElement.GetProperty("summary").GetProperty("unchanged").GetInt32());
        }

        Assert.Single(await SearchAsync("oil"));

        // A new modification time: the file is read, its content has changed, it is replaced.
        File.SetLastWriteTimeUtc(path, written.AddMinutes(1));
        using (var read = JsonDocument.Parse((await Sift("ingest", _folder.Combine("docs"), "-c", "kb", "--json")).Stdout))
        {
            Assert.Equal(1, read.RootElement.GetProperty("summary").GetProperty("updated").GetInt32());
        }

        Assert.Single(await SearchAsync("gas"));
    }

    [Fact]
    public async Task AskCanAbstainWhenTheBestPassageLacksTheQuestionsRareWords()
    {
        _folder.File("manual/territories.md", "# Regions\nThe Australian Capital Territory holds the capital, Canberra.");
        _folder.File("manual/wal.md", "# WAL\nTo turn on write-ahead logging run PRAGMA journal_mode=WAL in SQLite.");
        await Sift("ingest", _folder.Combine("manual"), "-c", "kb");

        async Task<JsonElement> Ask(string question, params string[] options)
        {
            var result = await Sift(["ask", question, "-c", "kb", "--json", .. options]);
            Assert.True(result.ExitCode == 0, result.Stderr);
            return JsonDocument.Parse(result.Stdout).RootElement.Clone();
        }

        var offTopic = await Ask("What is the capital of France?", "--min-coverage", "0.55");
        Assert.True(offTopic.GetProperty("flags").GetProperty("abstained").GetBoolean());
        Assert.Contains("of the question's terms", offTopic.GetProperty("flags").GetProperty("note").GetString(), StringComparison.Ordinal);
        var onTopic = await Ask("How do I turn on write-ahead logging in SQLite?", "--min-coverage", "0.55");
        Assert.False(onTopic.GetProperty("flags").GetProperty("abstained").GetBoolean());
        Assert.True((await Ask("What is the capital of France?")).GetProperty("flags").GetProperty("abstained").GetBoolean()); // the default
        Assert.False((await Ask("What is the capital of France?", "--min-coverage", "0")).GetProperty("flags").GetProperty("abstained").GetBoolean());
    }

    [Fact]
    public async Task AStoreOnAReadOnlyMountCanBeSearchedAndAsked()
    {
        _folder.File("docs/wal.md", "# WAL\nTo turn on write-ahead logging run PRAGMA journal_mode=WAL in SQLite.");
        await Sift("ingest", _folder.Combine("docs"), "-c", "kb", "--embedder", "glove");
        var mounted = _folder.Combine("mounted");
        Directory.CreateDirectory(mounted);
        // A read-only bind mount: the tests run as root (CI too), to whom file permissions would not apply.
        await RunAsync("mount", "--bind", Store, mounted);
        try
        {
            await RunAsync("mount", "-o", "remount,ro,bind", mounted);
            Assert.ThrowsAny<IOException>(() => File.WriteAllText(Path.Combine(mounted, "probe"), "x"));

            var search = await Sift("search", "write-ahead logging", "-c", "kb", "--store", mounted, "--json");
            Assert.True(search.ExitCode == 0, search.Stderr);
            Assert.Contains("docs/wal.md", search.Stdout, StringComparison.Ordinal);
            var dense = await Sift("search", "write-ahead logging", "-c", "kb", "--store", mounted, "--mode", "hybrid", "--json");
            Assert.True(dense.ExitCode == 0, dense.Stderr);
            var ask = await Sift("ask", "How do I turn on write-ahead logging?", "-c", "kb", "--store", mounted, "--json");
            Assert.True(ask.ExitCode == 0, ask.Stderr);
            Assert.Contains("journal_mode=WAL", ask.Stdout, StringComparison.Ordinal);
            Assert.Contains("read-only", ask.Stderr, StringComparison.Ordinal);
            var write = await Sift("ingest", _folder.Combine("docs"), "-c", "kb", "--store", mounted);
            Assert.Equal(1, write.ExitCode);
            Assert.DoesNotContain("   at ", write.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            await RunAsync("umount", mounted);
        }
    }

    private static async Task RunAsync(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true })!;
        var error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)}: {error}");
    }
}
