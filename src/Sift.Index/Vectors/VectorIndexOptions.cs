namespace Sift.Index.Vectors;

/// <summary>
/// Settings of a vector index. M is the number of graph neighbours per node (2M on the bottom layer); EfConstruction
/// and EfSearch are the candidate-list sizes while building and searching (larger: better recall, slower). The seed
/// fixes the random layer assignment, so the same vectors added in the same order give the same graph.
/// </summary>
public sealed record VectorIndexOptions(
    int Dimensions,
    int M = 16,
    int EfConstruction = 200,
    int EfSearch = 64,
    int Seed = 42,
    bool Quantize = false,
    bool BuildGraph = true)
{
    /// <summary>How many int8 candidates per requested result are rescored with float vectors.</summary>
    public const int RescoreFactor = 4;

    public void Validate()
    {
        if (Dimensions < 1 || M < 2 || EfConstruction < 1 || EfSearch < 1)
        {
            throw new Core.SiftException(
                $"invalid vector index settings: dimensions={Dimensions}, M={M}, efConstruction={EfConstruction}, efSearch={EfSearch} (need dimensions >= 1, M >= 2, ef >= 1)");
        }
    }
}
