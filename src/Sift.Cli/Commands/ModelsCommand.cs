using System.CommandLine;
using Sift.Cli.Output;
using Sift.Index.Storage;
using Sift.Models.Download;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary><c>sift models pull NAME|URL</c>: fetch an ONNX model folder for <c>--embedder onnx:DIR</c> or <c>--rerank DIR</c>.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("model") { Description = "A Hugging Face model name (BAAI/bge-small-en-v1.5) or the URL of a model folder" };
        var to = new Option<string?>("--to") { Description = "Folder to download into (default: STORE/models/NAME)" };
        var endpoint = new Option<string?>("--endpoint") { Description = "Hugging Face-compatible server (default: $SIFT_HF_ENDPOINT, else https://huggingface.co)" };
        var revision = new Option<string>("--revision") { Description = "Branch, tag or commit", DefaultValueFactory = _ => "main" };
        var pull = new Command("pull", "Download a model folder (resumes interrupted downloads, verifies published SHA-256 checksums)") { name, to, endpoint, revision };
        pull.SetAction(async (result, cancellation) =>
        {
            var model = result.GetValue(name)!;
            var server = result.GetValue(endpoint) ?? Environment.GetEnvironmentVariable("SIFT_HF_ENDPOINT");
            var source = ModelDownloader.SourceFor(model, server is null ? ModelDownloader.DefaultEndpoint : new Uri(server.TrimEnd('/') + "/"), result.GetValue(revision)!);
            var folder = result.GetValue(to) ?? Path.Combine(CommonOptions.HomeFolder(result), "models", FolderName(model, source));
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
            var downloader = new ModelDownloader(http);
            var json = result.GetValue(CommonOptions.Json);

            PulledModel pulled;
            if (!json && !Console.IsOutputRedirected)
            {
                pulled = await AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new DownloadedColumn(), new TransferSpeedColumn())
                    .StartAsync(async context =>
                    {
                        var tasks = new Dictionary<string, ProgressTask>();
                        var progress = new Progress<DownloadProgress>(p =>
                        {
                            if (!tasks.TryGetValue(p.File, out var task))
                            {
                                tasks[p.File] = task = context.AddTask(Markup.Escape(p.File), maxValue: p.Total ?? 1);
                            }

                            task.MaxValue = p.Total ?? Math.Max(task.MaxValue, p.Bytes);
                            task.Value = p.Bytes;
                        });
                        return await downloader.PullAsync(source, folder, progress, cancellation);
                    });
            }
            else
            {
                pulled = await downloader.PullAsync(source, folder, cancellationToken: cancellation);
            }

            if (json)
            {
                JsonOutput.Write(pulled);
                return 0;
            }

            AnsiConsole.MarkupLineInterpolated($"[green]pulled[/] {pulled.Files.Count} files from {pulled.Source} into [bold]{pulled.Folder}[/]");
            foreach (var file in pulled.Files)
            {
                AnsiConsole.MarkupLineInterpolated($"  {file.Path}: {file.Bytes:N0} bytes, sha256 {file.Sha256[..12]}…{(file.Verified ? " verified" : "")}{(file.Resumed ? " (resumed)" : "")}");
            }

            AnsiConsole.MarkupLineInterpolated($"use it with: --embedder onnx:{pulled.Folder}");
            return 0;
        });
        return new Command("models", "Fetch embedding and reranking models") { pull };
    }

    private static string FolderName(string model, Uri source) =>
        model.Contains("://", StringComparison.Ordinal)
            ? source.Segments.Last(s => s != "/").Trim('/')
            : model.Replace('/', '_');
}
