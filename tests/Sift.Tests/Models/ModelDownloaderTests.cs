using System.Text.Json;
using Sift.Tests.Support;

namespace Sift.Tests.Models;

/// <summary><c>sift models pull</c> against a real HTTP server on loopback serving a model folder the test made.</summary>
public sealed class ModelDownloaderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private Dictionary<string, byte[]> ModelFiles()
    {
        var source = new TinyBert().WriteEmbedder(_folder.Combine("source"), maxTokens: 32);
        var model = File.ReadAllBytes(Path.Combine(source, "model.onnx"));
        return new Dictionary<string, byte[]>
        {
            // Padded with a 300 kB doc_string (ModelProto field 6) so an interrupted transfer stops mid-file.
            ["onnx/model.onnx"] = [.. model, 0x32, 0xE0, 0xA7, 0x12, .. Enumerable.Repeat((byte)'x', 300_000)],
            ["config.json"] = File.ReadAllBytes(Path.Combine(source, "config.json")),
            ["vocab.txt"] = File.ReadAllBytes(Path.Combine(source, "vocab.txt")),
        };
    }

    private Task<ProcessResult> Pull(LoopbackFileServer server, params string[] extra) =>
        SiftProcess.RunAsync(_folder.Combine("store"), ["models", "pull", "acme/tiny-bert", "--endpoint", server.Endpoint.ToString(), "--to", _folder.Combine("pulled"), .. extra]);

    [Fact]
    public async Task PullsTheFolderAndVerifiesChecksums()
    {
        var files = ModelFiles();
        await using var server = new LoopbackFileServer(files);

        var result = await Pull(server, "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var pulled = json.RootElement.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("path").GetString()!, f => f);
        Assert.Equal(["config.json", "onnx/model.onnx", "vocab.txt"], pulled.Keys.Order(StringComparer.Ordinal));
        Assert.True(pulled["onnx/model.onnx"].GetProperty("verified").GetBoolean());
        Assert.Equal(files["onnx/model.onnx"], File.ReadAllBytes(_folder.Combine("pulled/onnx/model.onnx")));
        Assert.True(File.Exists(_folder.Combine("pulled/sift-model.json")));
    }

    [Fact]
    public async Task AnInterruptedDownloadResumesWhereItStopped()
    {
        var files = ModelFiles();
        await using var server = new LoopbackFileServer(files);
        server.CutOffOnce["onnx/model.onnx"] = 100_000;

        var first = await Pull(server);
        Assert.Equal(1, first.ExitCode);
        Assert.Contains("run the same command again to resume", first.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_folder.Combine("pulled/onnx/model.onnx")));

        var second = await Pull(server, "--json");
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains(server.RangeRequests, r => r.StartsWith("onnx/model.onnx bytes=", StringComparison.Ordinal) && !r.EndsWith("bytes=0-", StringComparison.Ordinal));
        Assert.Equal(files["onnx/model.onnx"], File.ReadAllBytes(_folder.Combine("pulled/onnx/model.onnx")));

        // The pulled folder is a working embedder.
        _folder.File("docs/a.txt", "the cat sat");
        var ingest = await SiftProcess.RunAsync(_folder.Combine("store"), "ingest", _folder.Combine("docs"), "-c", "c", "--embedder", $"onnx:{_folder.Combine("pulled")}");
        Assert.True(ingest.ExitCode == 0, ingest.Stderr);
    }

    [Fact]
    public async Task AChecksumMismatchIsAnErrorAndLeavesNoFile()
    {
        await using var server = new LoopbackFileServer(ModelFiles());
        server.WrongChecksum.Add("onnx/model.onnx");

        var result = await Pull(server);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("failed its checksum", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_folder.Combine("pulled/onnx/model.onnx")));
        Assert.False(File.Exists(_folder.Combine("pulled/onnx/model.onnx.part")));
    }

    [Fact]
    public async Task AMissingModelIsAClearError()
    {
        await using var server = new LoopbackFileServer([]);
        var result = await Pull(server);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("has none of onnx/model.onnx, model.onnx", result.Stderr, StringComparison.Ordinal);
    }
}
