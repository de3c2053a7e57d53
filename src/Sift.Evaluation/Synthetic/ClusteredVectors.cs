namespace Sift.Evaluation.Synthetic;

/// <summary>
/// Unit vectors drawn around Gaussian cluster centres with a fixed seed, plus held-out queries from the same clusters:
/// the shape of real embeddings, unlike uniform random vectors, on which every index looks the same. Used by the
/// vector benchmarks and tests.
/// </summary>
public static class ClusteredVectors
{
    public static (float[][] Data, float[][] Queries) Generate(int count, int queries, int dimensions, int clusters, int seed, double spread = 0.35)
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

            Core.Vectors.VectorMath.Normalize(vector);
            all[i] = vector;
        }

        return (all[..count], all[count..]);
    }

    /// <summary>Box-Muller normal draws scaled so the vector's expected norm is <paramref name="sigma"/>.</summary>
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
