using Sift.Core.Vectors;
using Sift.Index.Vectors;
using Sift.Evaluation.Synthetic;

namespace Sift.Tests.Index;

public sealed class VectorIndexTests
{
    // Queries come from the same clusters as the data (held out), as real queries come from the corpus's distribution.
    private static readonly (float[][] Vectors, float[][] Queries) Generated = ClusteredVectors.Generate(4000, 100, 48, clusters: 40, seed: 7);
    private static readonly float[][] Vectors = Generated.Vectors;
    private static readonly float[][] Queries = Generated.Queries;

    private static VectorIndex Build(bool quantize = false, int seed = 42)
    {
        var index = new VectorIndex(new VectorIndexOptions(48, M: 12, EfConstruction: 100, EfSearch: 64, Seed: seed, Quantize: quantize));
        foreach (var vector in Vectors)
        {
            index.Add(vector);
        }

        return index;
    }

    private static readonly Lazy<VectorIndex> Shared = new(() => Build());

    /// <summary>The true top k by a plain loop, independent of the index code.</summary>
    private static int[] BruteForce(float[] query, int k, Func<int, bool>? allowed = null) =>
        [.. Enumerable.Range(0, Vectors.Length)
            .Where(i => allowed is null || allowed(i))
            .OrderByDescending(i => Vectors[i].Zip(query, (a, b) => (double)a * b).Sum())
            .ThenBy(i => i)
            .Take(k)];

    private static double Recall(IEnumerable<int> found, int[] truth) => (double)found.Intersect(truth).Count() / truth.Length;

    [Fact]
    public void ExactSearchReturnsTheTrueNearestNeighbours()
    {
        foreach (var query in Queries.Take(10))
        {
            Assert.Equal(BruteForce(query, 10), Shared.Value.SearchExact(query, 10).Select(r => r.Node));
        }
    }

    [Fact]
    public void GraphSearchRecallAt10IsAtLeast095()
    {
        var recall = Queries.Average(q => Recall(Shared.Value.Search(q, 10).Select(r => r.Node), BruteForce(q, 10)));
        Assert.True(recall >= 0.95, $"recall@10 = {recall:0.000}");
    }

    [Fact]
    public void HigherEfSearchDoesNotLowerRecall()
    {
        double RecallAt(int ef) => Queries.Average(q => Recall(Shared.Value.Search(q, 10, ef).Select(r => r.Node), BruteForce(q, 10)));
        Assert.True(RecallAt(200) >= RecallAt(10));
        Assert.True(RecallAt(200) >= 0.99, $"recall at ef=200: {RecallAt(200):0.000}");
    }

    [Fact]
    public void Int8QuantisedSearchWithRescoringKeepsRecall()
    {
        var quantized = Build(quantize: true);
        var exact = Queries.Average(q => Recall(quantized.SearchExact(q, 10).Select(r => r.Node), BruteForce(q, 10)));
        var graph = Queries.Average(q => Recall(quantized.Search(q, 10).Select(r => r.Node), BruteForce(q, 10)));
        Assert.True(exact >= 0.97, $"int8 exact recall {exact:0.000}");
        Assert.True(graph >= 0.93, $"int8 graph recall {graph:0.000}");

        // Rescored similarities are the float ones.
        var top = quantized.SearchExact(Queries[0], 1)[0];
        Assert.Equal(Vectors[top.Node].Zip(Queries[0], (a, b) => a * b).Sum(), top.Similarity, 1e-4);
    }

    [Fact]
    public void FilteredSearchOnlyReturnsAllowedNodesAndStillFindsThem()
    {
        static bool Allowed(int node) => node % 10 == 3;
        var recall = Queries.Take(30).Average(q =>
        {
            var found = Shared.Value.Search(q, 10, allowed: Allowed).Select(r => r.Node).ToList();
            Assert.All(found, node => Assert.True(Allowed(node)));
            Assert.Equal(10, found.Count);
            return Recall(found, BruteForce(q, 10, Allowed));
        });
        Assert.True(recall >= 0.9, $"filtered recall {recall:0.000}");
    }

    [Fact]
    public void DeletedNodesAreNeverReturned()
    {
        var index = Build();
        var query = Queries[0];
        var before = index.Search(query, 5).Select(r => r.Node).ToList();
        index.Delete(before[0]);
        var after = index.SearchExact(query, 5).Select(r => r.Node).ToList();
        Assert.DoesNotContain(before[0], after);
        Assert.DoesNotContain(before[0], index.Search(query, 5).Select(r => r.Node));
        Assert.Equal(before.Skip(1).Take(4), after.Take(4));
    }

    [Fact]
    public void SameSeedAndOrderGiveTheSameGraph()
    {
        var a = Build(seed: 5);
        var b = Build(seed: 5);
        foreach (var query in Queries.Take(20))
        {
            Assert.Equal(a.Search(query, 10, 16), b.Search(query, 10, 16));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadersSearchWhileOneWriterAdds(bool quantize)
    {
        var index = new VectorIndex(new VectorIndexOptions(48, M: 8, EfConstruction: 50, Quantize: quantize));
        var writer = Task.Run(() =>
        {
            foreach (var vector in Vectors.Take(2000))
            {
                index.Add(vector);
            }
        }, TestContext.Current.CancellationToken);
        var searches = 0;
        while (!writer.IsCompleted)
        {
            var results = index.Search(Queries[searches % Queries.Length], 5);
            Assert.All(results, r => Assert.InRange(r.Node, 0, index.Count - 1));
            searches++;
        }

        await writer;
        Assert.Equal(2000, index.Count);
        Assert.True(searches > 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SavedIndexLoadsBackIdenticalAndKeepsGrowingDeterministically(bool quantize)
    {
        var original = new VectorIndex(new VectorIndexOptions(48, M: 8, EfConstruction: 40, Quantize: quantize));
        foreach (var vector in Vectors.Take(1000))
        {
            original.Add(vector);
        }

        original.Delete(3);
        using var file = new MemoryStream();
        original.Save(file, header => header.Write("caller header"));
        file.Position = 0;
        string? header = null;
        var loaded = VectorIndex.Load(file, reader => header = reader.ReadString(), "test index");

        Assert.Equal("caller header", header);
        Assert.Equal(1000, loaded.Count);
        Assert.True(loaded.IsDeleted(3));
        foreach (var query in Queries.Take(10))
        {
            Assert.Equal(original.Search(query, 10), loaded.Search(query, 10));
        }

        // Adding to the reloaded index gives the same graph as adding to the original.
        foreach (var vector in Vectors.Skip(1000).Take(200))
        {
            original.Add(vector);
            loaded.Add(vector);
        }

        Assert.Equal(original.Search(Queries[0], 10, 16), loaded.Search(Queries[0], 10, 16));
    }

    [Fact]
    public void DamagedOrTruncatedFilesAreDetected()
    {
        var index = new VectorIndex(new VectorIndexOptions(48, M: 8, EfConstruction: 40));
        foreach (var vector in Vectors.Take(200))
        {
            index.Add(vector);
        }

        using var file = new MemoryStream();
        index.Save(file, _ => { });
        var bytes = file.ToArray();

        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0x40;
        var damaged = Assert.Throws<Sift.Core.SiftException>(() => VectorIndex.Load(new MemoryStream(flipped), _ => { }, "vectors.idx"));
        Assert.Contains("vectors.idx is damaged", damaged.Message, StringComparison.Ordinal);

        var truncated = Assert.Throws<Sift.Core.SiftException>(() => VectorIndex.Load(new MemoryStream(bytes[..(bytes.Length / 3)]), _ => { }, "vectors.idx"));
        Assert.Contains("damaged", truncated.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void QuantisationUsesTheLargestMagnitudeWhateverItsSign()
    {
        float[] vector = [0.1f, -0.8f, 0.3f];
        var codes = new sbyte[3];
        var scale = VectorMath.Quantize(vector, codes);
        Assert.Equal(0.8f / 127, scale, 1e-7);
        Assert.Equal([16, -127, 48], codes.Select(c => (int)c));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(33)]
    [InlineData(100)]
    [InlineData(384)]
    public void Int8DotProductMatchesScalarArithmetic(int length)
    {
        var random = new Random(length);
        var a = Enumerable.Range(0, length).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var b = Enumerable.Range(0, length).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        Assert.Equal(a.Zip(b, (x, y) => x * y).Sum(), VectorMath.DotInt8(a, b));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(80)]
    [InlineData(383)]
    [InlineData(384)]
    public void FloatDotProductMatchesScalarArithmetic(int length)
    {
        var random = new Random(length);
        var a = Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var b = Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var expected = a.Zip(b, (x, y) => (double)x * y).Sum();
        Assert.Equal(expected, VectorMath.Dot(a, b), 1e-4);
    }
}
