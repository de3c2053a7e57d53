using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace Sift.Models.Learned;

/// <summary>
/// A trained tree ensemble scored directly: each tree's nodes as flat arrays (feature, threshold, children; a negative
/// child is ~leaf), walked for a row until a leaf, leaf values weighted and summed with the bias. The same arithmetic as
/// ML.NET's scoring (a value at or below a node's threshold goes left), without a prediction engine per row; a test
/// holds the two to the same scores.
/// </summary>
internal sealed class TreeScorer
{
    private readonly Tree[] _trees;
    private readonly double _bias;

    private TreeScorer(Tree[] trees, double bias) => (_trees, _bias) = (trees, bias);

    private sealed record Tree(int[] Feature, float[] Threshold, int[] Left, int[] Right, double[] Leaves, double Weight);

    /// <summary>The ensemble of a LightGBM ranking model (the last stage of <paramref name="model"/>).</summary>
    public static TreeScorer From(ITransformer model)
    {
        var last = model is IEnumerable<ITransformer> chain ? chain.Last() : model; // trained: a typed chain; loaded: a chain of ITransformer
        var parameters = (last as ISingleFeaturePredictionTransformer<LightGbmRankingModelParameters>)?.Model
            ?? throw new InvalidOperationException($"not a LightGBM ranking model: {last.GetType().Name}");
        var ensemble = parameters.TrainedTreeEnsemble;
        var trees = ensemble.Trees.Select((tree, i) => tree.CategoricalSplitFlags.Any(f => f)
            ? throw new InvalidOperationException("categorical splits are not used by the ranker's features")
            : new Tree([.. tree.NumericalSplitFeatureIndexes], [.. tree.NumericalSplitThresholds], [.. tree.LeftChild], [.. tree.RightChild], [.. tree.LeafValues], ensemble.TreeWeights[i]));
        return new TreeScorer([.. trees], ensemble.Bias);
    }

    public float Score(float[] features)
    {
        var score = _bias;
        foreach (var tree in _trees)
        {
            var node = tree.Left.Length == 0 ? -1 : 0; // a tree of one leaf has no nodes
            while (node >= 0)
            {
                node = features[tree.Feature[node]] <= tree.Threshold[node] ? tree.Left[node] : tree.Right[node];
            }

            score += tree.Weight * tree.Leaves[~node];
        }

        return (float)score;
    }
}
