namespace Sift.Benchmarks.Vectors;

/// <summary>Benchmark vectors written as raw little-endian float32 (and ground truth as int32) for the Node.js peers.</summary>
internal static class VectorData
{
    public static void Write(string path, float[][] vectors)
    {
        using var file = new BinaryWriter(File.Create(path));
        foreach (var vector in vectors)
        {
            foreach (var value in vector)
            {
                file.Write(value);
            }
        }
    }

    public static void WriteTruth(string path, int[][] truth)
    {
        using var file = new BinaryWriter(File.Create(path));
        foreach (var row in truth)
        {
            foreach (var id in row)
            {
                file.Write(id);
            }
        }
    }
}
