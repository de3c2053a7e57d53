using Sift.Core.Vectors;
namespace Sift.Index.Vectors;

/// <summary>The HNSW graph: insertion, layer search and neighbour selection.</summary>
public sealed partial class VectorIndex
{
    [ThreadStatic]
    private static NodeHeap? t_frontier;

    [ThreadStatic]
    private static NodeHeap? t_results;

    private int MaxLinks(int level) => level == 0 ? 2 * Options.M : Options.M;

    /// <summary>Greedy walk on one upper layer: move to the closest neighbour until none is closer.</summary>
    private static int GreedyClosest(State state, ref Scorer scorer, int entry, int level)
    {
        var current = entry;
        var best = scorer.Similarity(current);
        var count = Volatile.Read(ref state.Count);
        for (var improved = true; improved;)
        {
            improved = false;
            foreach (var neighbour in state.Links(current, level))
            {
                if (neighbour >= count)
                {
                    continue;
                }

                var similarity = scorer.Similarity(neighbour);
                if (similarity > best)
                {
                    (best, current, improved) = (similarity, neighbour, true);
                }
            }
        }

        return current;
    }

    /// <summary>
    /// Best-first search of one layer from <paramref name="entry"/>, keeping the <paramref name="ef"/> closest
    /// accepted nodes; rejected nodes still extend the frontier. Returns the accepted nodes, closest first.
    /// </summary>
    private static List<ScoredNode> SearchLayer(State state, ref Scorer scorer, int entry, int ef, int level, Func<int, bool>? accept)
    {
        var count = Math.Max(Volatile.Read(ref state.Count), entry + 1);
        var visited = VisitedSet.Rent(state.Capacity);
        // Reused per thread: a search allocates only its result list.
        var frontier = t_frontier ??= new NodeHeap();   // closest first (key = -similarity)
        var results = t_results ??= new NodeHeap();     // farthest first (key = similarity)
        frontier.Clear();
        results.Clear();

        visited.Add(entry);
        var entrySimilarity = scorer.Similarity(entry);
        frontier.Push(entry, -entrySimilarity);
        if (accept is null || accept(entry))
        {
            results.Push(entry, entrySimilarity);
        }

        var worst = results.Count >= ef ? results.MinKey : float.NegativeInfinity;
        while (frontier.Count > 0)
        {
            var candidate = frontier.Pop();
            if (-candidate.Similarity < worst)
            {
                break;
            }

            var links = state.Links(candidate.Node, level);
            for (var i = 0; i < links.Length; i++)
            {
                if (i + 1 < links.Length && links[i + 1] is var next && next < count)
                {
                    // Graph hops are memory-bound: start loading the next row while this one is scored.
                    scorer.Prefetch(next);
                }

                var neighbour = links[i];
                if (neighbour >= count || !visited.Add(neighbour))
                {
                    continue;
                }

                var similarity = scorer.Similarity(neighbour);
                if (results.Count < ef || similarity > worst)
                {
                    frontier.Push(neighbour, -similarity);
                    if (accept is null || accept(neighbour))
                    {
                        results.Push(neighbour, similarity);
                        if (results.Count > ef)
                        {
                            results.Pop();
                        }

                        worst = results.Count >= ef ? results.MinKey : float.NegativeInfinity;
                    }
                }
            }
        }

        var found = new List<ScoredNode>(results.Count);
        System.Runtime.InteropServices.CollectionsMarshal.SetCount(found, results.Count);
        var slots = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(found);
        for (var i = slots.Length - 1; i >= 0; i--)
        {
            slots[i] = results.Pop();
        }

        return found;
    }

    /// <summary>Connects a new node on each of its layers and makes it the entry point if it is the highest.</summary>
    private void Link(State state, int node, int level)
    {
        if (state.MaxLevel < 0)
        {
            (state.EntryPoint, state.MaxLevel) = (node, level);
            return;
        }

        var scorer = new Scorer(state, state.Row(node).ToArray(), useCodes: false);
        var entry = state.EntryPoint;
        for (var l = state.MaxLevel; l > level; l--)
        {
            entry = GreedyClosest(state, ref scorer, entry, l);
        }

        for (var l = Math.Min(level, state.MaxLevel); l >= 0; l--)
        {
            var candidates = SearchLayer(state, ref scorer, entry, Options.EfConstruction, l, accept: null);
            var neighbours = SelectNeighbours(state, candidates, Options.M);
            state.SetLinks(node, l, [.. neighbours.Select(n => n.Node)]);
            foreach (var neighbour in neighbours)
            {
                AddBackLink(state, neighbour.Node, node, neighbour.Similarity, l);
            }

            entry = candidates[0].Node;
        }

        if (level > state.MaxLevel)
        {
            (state.EntryPoint, state.MaxLevel) = (node, level);
        }
    }

    /// <summary>Adds <paramref name="node"/> to <paramref name="target"/>'s list, re-selecting when the list is full.</summary>
    private void AddBackLink(State state, int target, int node, float similarity, int level)
    {
        var current = state.Links(target, level);
        if (current.Length < MaxLinks(level))
        {
            state.AppendLink(target, level, node);
            return;
        }

        var targetRow = state.Row(target);
        var candidates = new List<ScoredNode>(current.Length + 1) { new(node, similarity) };
        foreach (var existing in current)
        {
            candidates.Add(new ScoredNode(existing, VectorMath.Dot(targetRow, state.Row(existing))));
        }

        candidates.Sort((a, b) => b.Similarity != a.Similarity ? b.Similarity.CompareTo(a.Similarity) : a.Node.CompareTo(b.Node));
        state.SetLinks(target, level, [.. SelectNeighbours(state, candidates, MaxLinks(level)).Select(n => n.Node)]);
    }

    /// <summary>
    /// HNSW's neighbour heuristic: walk candidates closest first and keep one only if it is closer to the base
    /// node than to every neighbour already kept, which spreads links in different directions.
    /// </summary>
    private static List<ScoredNode> SelectNeighbours(State state, List<ScoredNode> candidatesClosestFirst, int max)
    {
        var selected = new List<ScoredNode>(max);
        foreach (var candidate in candidatesClosestFirst)
        {
            if (selected.Count >= max)
            {
                break;
            }

            var row = state.Row(candidate.Node);
            var diverse = true;
            foreach (var kept in selected)
            {
                if (VectorMath.Dot(row, state.Row(kept.Node)) > candidate.Similarity)
                {
                    diverse = false;
                    break;
                }
            }

            if (diverse)
            {
                selected.Add(candidate);
            }
        }

        return selected;
    }
}
