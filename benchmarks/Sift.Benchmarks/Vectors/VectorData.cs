namespace Sift.Benchmarks.Vectors;

/// <summary>
/// Benchmark vectors: Gaussian clusters of unit vectors with a fixed seed (queries are held-out draws from the same
/// clusters), written as raw little-endian float32 so the Node.js peers read exactly the same data.
/// </summary>
internal static class VectorData
{
    public static (float[][] Data, float[][] Queries) Clustered(int count, int queries, int dimensions, int clusters, int seed, double spread = 0.35)
    {
        var random = new Random(seed);
        var centres = Enumerable.Range(0, clusters).Select(_ => Gaussian(random, dimensions, 1.0)).ToArray();
        var all = new float[count + queries][];
        for (var i = 0; i < all.Length; i++)
        {
            var centre = centres[random.Next(clusters)];
            var noise = Gaussian(random, dimensions, spread);
            var vector = new float[dimensions];
            for (var d = 0; d < dimensions; d++)
            {
                vector[d] = centre[d] + noise[d];
            }

            Sift.Core.Vectors.VectorMath.Normalize(vector);
            all[i] = vector;
        }

        return (all[..count], all[count..]);
    }

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

    private static float[] Gaussian(Random random, int dimensions, double sigma)
    {
        var values = new float[dimensions];
        for (var d = 0; d < dimensions; d++)
        {
            var u = 1 - random.NextDouble();
            var v = random.NextDouble();
            values[d] = (float)(sigma * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v) / Math.Sqrt(dimensions));
        }

        return values;
    }
}
