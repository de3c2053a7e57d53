namespace Sift.Index.Vectors;

/// <summary>
/// Which nodes a graph search has visited, cleared in O(1) by bumping a generation stamp; one per thread, reused.
/// </summary>
internal sealed class VisitedSet
{
    [ThreadStatic]
    private static VisitedSet? t_current;

    private int[] _stamps = [];
    private int _generation;

    public static VisitedSet Rent(int capacity)
    {
        var set = t_current ??= new VisitedSet();
        if (set._stamps.Length < capacity)
        {
            set._stamps = new int[Math.Max(capacity, set._stamps.Length * 2)];
            set._generation = 0;
        }

        if (++set._generation == int.MaxValue)
        {
            Array.Clear(set._stamps);
            set._generation = 1;
        }

        return set;
    }

    /// <summary>Marks <paramref name="node"/>; false if it was already visited in this search.</summary>
    public bool Add(int node)
    {
        if (_stamps[node] == _generation)
        {
            return false;
        }

        _stamps[node] = _generation;
        return true;
    }
}
