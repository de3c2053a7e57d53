namespace Sift.Tests.Support;

/// <summary>
/// Unit vectors drawn around Gaussian cluster centres with a fixed seed: the shape of real embeddings, unlike uniform
/// random vectors, on which every index looks the same.
/// </summary>
public static class ClusteredVectors
{
    public static float[][] Generate(int count, int dimensions, int clusters, int seed, double spread = 0.35)
    {
        var random = new Random(seed);
        var centres = Enumerable.Range(0, clusters).Select(_ => Gaussian(random, dimensions, 1.0)).ToArray();
        var vectors = new float[count][];
        for (var i = 0; i < count; i++)
        {
            var centre = centres[random.Next(clusters)];
            var noise = Gaussian(random, dimensions, spread);
            vectors[i] = Unit(centre.Zip(noise, (c, n) => c + n).ToArray());
        }

        return vectors;
    }

    private static float[] Gaussian(Random random, int dimensions, double sigma)
    {
        var values = new float[dimensions];
        for (var d = 0; d < dimensions; d++)
        {
            // Box-Muller
            var u = 1 - random.NextDouble();
            var v = random.NextDouble();
            values[d] = (float)(sigma * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v) / Math.Sqrt(dimensions));
        }

        return values;
    }

    private static float[] Unit(float[] vector)
    {
        var norm = (float)Math.Sqrt(vector.Sum(x => x * x));
        return [.. vector.Select(x => x / norm)];
    }
}
