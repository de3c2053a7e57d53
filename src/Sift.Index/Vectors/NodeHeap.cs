namespace Sift.Index.Vectors;

/// <summary>
/// A binary min-heap of nodes by a float key, the graph search's candidate lists. A hand-written heap over one struct
/// array: <see cref="PriorityQueue{TElement, TPriority}"/> costs a comparer call per sift step, and a graph search does
/// thousands of them per query.
/// </summary>
internal sealed class NodeHeap
{
    private ScoredNode[] _items = new ScoredNode[64];

    public int Count { get; private set; }

    /// <summary>The smallest key; only valid when <see cref="Count"/> is positive.</summary>
    public float MinKey => _items[0].Similarity;

    public void Clear() => Count = 0;

    public void Push(int node, float key)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, Count * 2);
        }

        var items = _items;
        var i = Count++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (items[parent].Similarity <= key)
            {
                break;
            }

            items[i] = items[parent];
            i = parent;
        }

        items[i] = new ScoredNode(node, key);
    }

    /// <summary>Removes and returns the item with the smallest key.</summary>
    public ScoredNode Pop()
    {
        var items = _items;
        var top = items[0];
        var last = items[--Count];
        var i = 0;
        var half = Count >> 1;
        while (i < half)
        {
            var child = (2 * i) + 1;
            if (child + 1 < Count && items[child + 1].Similarity < items[child].Similarity)
            {
                child++;
            }

            if (last.Similarity <= items[child].Similarity)
            {
                break;
            }

            items[i] = items[child];
            i = child;
        }

        if (Count > 0)
        {
            items[i] = last;
        }

        return top;
    }
}
