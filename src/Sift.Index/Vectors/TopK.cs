namespace Sift.Index.Vectors;

/// <summary>A node or slot and its score for the query (higher is better).</summary>
public readonly record struct ScoredNode(int Node, float Similarity);

/// <summary>Keeps the k best-scoring items seen (BM25 slots or vector nodes); ties go to the lower id, so results are deterministic.</summary>
internal sealed class TopK(int k)
{
    private readonly PriorityQueue<int, (float Similarity, int Node)> _heap = new(k + 1, WeakestFirst.Instance);

    public int Count => _heap.Count;

    /// <summary>The similarity an item must beat to enter once full.</summary>
    public float Threshold => _heap.Count < k ? float.NegativeInfinity : _heap.TryPeek(out _, out var weakest) ? weakest.Similarity : float.NegativeInfinity;

    /// <summary>Whether <see cref="Offer"/> would keep this item now: lets callers skip costly checks on items that cannot enter.</summary>
    public bool WouldKeep(int node, float similarity) =>
        _heap.Count < k || (_heap.TryPeek(out _, out var weakest) && WeakestFirst.Instance.Compare((similarity, node), weakest) > 0);

    public void Offer(int node, float similarity)
    {
        if (_heap.Count < k)
        {
            _heap.Enqueue(node, (similarity, node));
        }
        else if (WouldKeep(node, similarity))
        {
            _heap.DequeueEnqueue(node, (similarity, node));
        }
    }

    /// <summary>The kept items, best first; empties the collector.</summary>
    public List<ScoredNode> Drain()
    {
        var results = new List<ScoredNode>(_heap.Count);
        while (_heap.TryDequeue(out var node, out var priority))
        {
            results.Add(new ScoredNode(node, priority.Similarity));
        }

        results.Reverse();
        return results;
    }

    private sealed class WeakestFirst : IComparer<(float Similarity, int Node)>
    {
        public static readonly WeakestFirst Instance = new();

        public int Compare((float Similarity, int Node) x, (float Similarity, int Node) y)
        {
            var bySimilarity = x.Similarity.CompareTo(y.Similarity);
            return bySimilarity != 0 ? bySimilarity : y.Node.CompareTo(x.Node);
        }
    }
}
