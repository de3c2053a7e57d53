using System.Runtime.InteropServices;
using System.Text.Json;
using Sift.Models.Static;

namespace Sift.Benchmarks.Vectors;

internal static class VectorCommands
{
    private const int M = 16;
    private const int EfConstruction = 200;

    public static int Synthetic(string outputFolder, int count)
    {
        PrintMachine();
        var (data, queries) = Sift.Evaluation.Synthetic.ClusteredVectors.Generate(count, 1_000, 384, clusters: 1_000, seed: 20261124);
        RunAndExport("synthetic clustered", data, queries, outputFolder);
        return 0;
    }

    /// <param name="outputFolder">With a folder, each dataset's vectors and truth are also written to a subfolder of it for the Node.js peers.</param>
    public static int Beir(string[] datasets, string? outputFolder)
    {
        PrintMachine();
        var embedder = StaticWordEmbedder.Default;
        foreach (var folder in datasets)
        {
            var corpus = File.ReadLines(Path.Combine(folder, "corpus.jsonl")).Where(l => l.Length > 0).Select(line =>
            {
                using var json = JsonDocument.Parse(line);
                var root = json.RootElement;
                return embedder.Embed(Sift.Core.Documents.ModelText.Of(root.GetProperty("title").GetString() ?? "", root.GetProperty("text").GetString() ?? ""));
            }).ToArray();
            var queries = File.ReadLines(Path.Combine(folder, "queries.jsonl")).Where(l => l.Length > 0).Take(1000).Select(line =>
            {
                using var json = JsonDocument.Parse(line);
                return embedder.Embed(json.RootElement.GetProperty("text").GetString() ?? "");
            }).ToArray();
            var name = Path.GetFileName(folder.TrimEnd('/'));
            RunAndExport($"{name} ({StaticWordEmbedder.ModelId})", corpus, queries, outputFolder is null ? null : Path.Combine(outputFolder, name));
        }

        return 0;
    }

    /// <summary>Sift's figures; with a folder, also data.f32, queries.f32, truth.i32 and shape.json for run-vector-peers.sh.</summary>
    private static void RunAndExport(string name, float[][] data, float[][] queries, string? outputFolder)
    {
        var truth = VectorBenchmark.Run(name, data, queries, M, EfConstruction, Console.Out);
        if (outputFolder is null)
        {
            return;
        }

        Directory.CreateDirectory(outputFolder);
        VectorData.Write(Path.Combine(outputFolder, "data.f32"), data);
        VectorData.Write(Path.Combine(outputFolder, "queries.f32"), queries);
        VectorData.WriteTruth(Path.Combine(outputFolder, "truth.i32"), truth);
        File.WriteAllText(Path.Combine(outputFolder, "shape.json"), JsonSerializer.Serialize(new { count = data.Length, queries = queries.Length, dimensions = data[0].Length, m = M, efConstruction = EfConstruction }));
    }

    private static void PrintMachine() =>
        Console.WriteLine($"machine: {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}; date {DateTime.UtcNow:yyyy-MM-dd}");
}
