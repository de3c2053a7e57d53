using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace Sift.Models.Learned;

/// <summary>
/// A trained tree ensemble scored directly: every tree's nodes in one flat array (feature, threshold, children; a
/// negative child is ~leaf into one array of leaf values already multiplied by their tree's weight), walked for a row
/// until a leaf, and summed with the bias. The same arithmetic as ML.NET's scoring (a value at or below a node's
/// threshold goes left), without a prediction engine per row; a test holds the two to the same scores.
/// </summary>
internal sealed class TreeScorer
{
    private readonly Node[] _nodes;
    private readonly double[] _leaves;

    /// <summary>Per tree: its first node in <see cref="_nodes"/> (or ~its only leaf when it has no node) and its first leaf.</summary>
    private readonly (int Root, int Leaves)[] _trees;

    private readonly double _bias;

    private TreeScorer(Node[] nodes, double[] leaves, (int, int)[] trees, double bias) => (_nodes, _leaves, _trees, _bias) = (nodes, leaves, trees, bias);

    /// <summary>A split; children are node indexes relative to the tree's root, or ~leaf relative to its first leaf.</summary>
    private readonly record struct Node(int Feature, float Threshold, int Left, int Right);

    /// <summary>The ensemble of a LightGBM ranking model (the last stage of <paramref name="model"/>).</summary>
    public static TreeScorer From(ITransformer model)
    {
        var last = model is IEnumerable<ITransformer> chain ? chain.Last() : model; // trained: a typed chain; loaded: a chain of ITransformer
        var parameters = (last as ISingleFeaturePredictionTransformer<LightGbmRankingModelParameters>)?.Model
            ?? throw new InvalidOperationException($"not a LightGBM ranking model: {last.GetType().Name}");
        var ensemble = parameters.TrainedTreeEnsemble;
        var (nodes, leaves, trees) = (new List<Node>(), new List<double>(), new List<(int, int)>());
        for (var i = 0; i < ensemble.Trees.Count; i++)
        {
            var tree = ensemble.Trees[i];
            if (tree.CategoricalSplitFlags.Any(f => f))
            {
                throw new InvalidOperationException("categorical splits are not used by the ranker's features");
            }

            // A tree of one leaf has no nodes: its root is that leaf (~0).
            trees.Add((tree.LeftChild.Count == 0 ? ~nodes.Count : nodes.Count, leaves.Count));
            for (var n = 0; n < tree.LeftChild.Count; n++)
            {
                nodes.Add(new Node(tree.NumericalSplitFeatureIndexes[n], tree.NumericalSplitThresholds[n], tree.LeftChild[n], tree.RightChild[n]));
            }

            leaves.AddRange(tree.LeafValues.Select(value => value * ensemble.TreeWeights[i]));
        }

        return new TreeScorer([.. nodes], [.. leaves], [.. trees], ensemble.Bias);
    }

    /// <summary>
    /// The score of each row, tree by tree: one tree's nodes stay in cache while every row walks it (row by row, each
    /// row would walk all trees, whose nodes do not fit in the first-level cache together). Each row's sum is taken
    /// in the same order as one row alone would, so the scores are the same.
    /// </summary>
    public float[] Score(float[][] rows)
    {
        var sums = new double[rows.Length];
        Array.Fill(sums, _bias);
        var nodes = _nodes.AsSpan();
        foreach (var (root, leaves) in _trees)
        {
            for (var r = 0; r < rows.Length; r++)
            {
                var features = rows[r];
                var node = root < 0 ? root : 0;
                while (node >= 0)
                {
                    ref readonly var split = ref nodes[root + node];
                    node = features[split.Feature] <= split.Threshold ? split.Left : split.Right;
                }

                sums[r] += _leaves[leaves + (root < 0 ? 0 : ~node)];
            }
        }

        return Array.ConvertAll(sums, sum => (float)sum);
    }
}
