using System.Runtime.InteropServices;
using System.Text.Json;
using Sift.Models.Static;

namespace Sift.Benchmarks.Vectors;

internal static class VectorCommands
{
    private const int M = 16;
    private const int EfConstruction = 200;

    public static int Synthetic(string outputFolder)
    {
        Directory.CreateDirectory(outputFolder);
        PrintMachine();
        var (data, queries) = Sift.Evaluation.Synthetic.ClusteredVectors.Generate(200_000, 1_000, 384, clusters: 1_000, seed: 20261124);
        VectorData.Write(Path.Combine(outputFolder, "data.f32"), data);
        VectorData.Write(Path.Combine(outputFolder, "queries.f32"), queries);
        var truth = VectorBenchmark.Run("synthetic clustered", data, queries, M, EfConstruction, Console.Out);
        VectorData.WriteTruth(Path.Combine(outputFolder, "truth.i32"), truth);
        File.WriteAllText(Path.Combine(outputFolder, "shape.json"), JsonSerializer.Serialize(new { count = data.Length, queries = queries.Length, dimensions = 384, m = M, efConstruction = EfConstruction }));
        return 0;
    }

    public static int Beir(string[] datasets)
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
            VectorBenchmark.Run($"{Path.GetFileName(folder.TrimEnd('/'))} ({StaticWordEmbedder.ModelId})", corpus, queries, M, EfConstruction, Console.Out);
        }

        return 0;
    }

    private static void PrintMachine() =>
        Console.WriteLine($"machine: {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}; date {DateTime.UtcNow:yyyy-MM-dd}");
}
