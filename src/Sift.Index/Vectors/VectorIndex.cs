using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Sift.Core.Vectors;

namespace Sift.Index.Vectors;

/// <summary>
/// Sift's vector engine: unit vectors in contiguous rows, searched exactly (SIMD scan) or through an HNSW graph
/// (Malkov and Yashunin 2018) built as vectors are added. Similarity is the dot product (cosine for unit vectors).
/// Optional int8 codes make scans and graph hops cheaper; the best candidates are then rescored with float vectors.
/// One writer at a time (Add, Delete); any number of concurrent readers, which never block and see a consistent
/// prefix of the nodes.
/// </summary>
public sealed partial class VectorIndex
{
    private const int ScanPrefetchRows = 8;

    private readonly Lock _writeLock = new();
    private readonly Random _random;
    private readonly double _levelMultiplier;
    private State _state;

    public VectorIndex(VectorIndexOptions options)
    {
        options.Validate();
        Options = options;
        _random = new Random(options.Seed);
        _levelMultiplier = 1 / Math.Log(options.M);
        _state = new State(options.Dimensions, options.M, 1024, options.Quantize);
    }

    public VectorIndexOptions Options { get; }

    public int Dimensions => Options.Dimensions;

    /// <summary>Nodes added, including deleted ones (node ids are 0..Count-1).</summary>
    public int Count => Volatile.Read(ref _state).Count;

    public int DeletedCount { get; private set; }

    public bool IsDeleted(int node) => Volatile.Read(ref _state).Deleted[node] != 0;

    /// <summary>Adds a vector (normalised to unit length first) and links it into the graph; returns its node id.</summary>
    public int Add(ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dimensions)
        {
            throw new ArgumentException($"vector has {vector.Length} dimensions, the index {Dimensions}", nameof(vector));
        }

        lock (_writeLock)
        {
            var state = EnsureCapacity(_state.Count + 1);
            var node = state.Count;
            var row = state.Vectors.AsSpan(node * Dimensions, Dimensions);
            vector.CopyTo(row);
            VectorMath.Normalize(row);
            if (state.Codes is not null)
            {
                state.SetScale(node, VectorMath.Quantize(row, state.Codes.AsSpan(node * state.CodeStride, Dimensions)));
            }

            var level = (int)(-Math.Log(1 - _random.NextDouble()) * _levelMultiplier);
            state.Levels[node] = level;
            var upper = new int[level][];
            for (var l = 0; l < level; l++)
            {
                upper[l] = [];
            }

            state.UpperLinks[node] = upper;

            if (Options.BuildGraph)
            {
                Link(state, node, level);
            }

            Volatile.Write(ref state.Count, node + 1);
            return node;
        }
    }

    /// <summary>Marks a node deleted: it is still used to navigate the graph but never returned.</summary>
    public void Delete(int node)
    {
        lock (_writeLock)
        {
            if (_state.Deleted[node] == 0)
            {
                _state.Deleted[node] = 1;
                DeletedCount++;
            }
        }
    }

    /// <summary>Exact search: every live node scored. With int8 codes, the best candidates are rescored with floats.</summary>
    public List<ScoredNode> SearchExact(ReadOnlySpan<float> query, int k, Func<int, bool>? allowed = null)
    {
        var state = Volatile.Read(ref _state);
        var count = state.Count;
        var unit = Normalized(query);
        if (state.Codes is null)
        {
            var top = new TopK(k);
            for (var node = 0; node < count; node++)
            {
                if (state.Deleted[node] == 0 && (allowed is null || allowed(node)))
                {
                    var similarity = VectorMath.Dot(unit, state.Row(node));
                    if (similarity >= top.Threshold)
                    {
                        top.Offer(node, similarity);
                    }
                }
            }

            return top.Drain();
        }

        var codes = new sbyte[Dimensions];
        var queryScale = VectorMath.Quantize(unit, codes);
        var candidates = new TopK(k * VectorIndexOptions.RescoreFactor);
        for (var node = 0; node < count; node++)
        {
            if (node + ScanPrefetchRows < count)
            {
                // The hardware prefetcher alone leaves an int8 scan at about 0.7 of the machine's read bandwidth:
                // asking for the row 8 ahead (about 3 KB at 384 dimensions) keeps enough loads in flight.
                PrefetchBytes(ref Unsafe.As<sbyte, byte>(ref state.Codes[(node + ScanPrefetchRows) * state.CodeStride]), state.CodeStride);
            }

            if (state.Deleted[node] == 0 && (allowed is null || allowed(node)))
            {
                var similarity = VectorMath.DotInt8(codes, state.CodeRow(node)) * queryScale * state.Scale(node);
                if (similarity >= candidates.Threshold)
                {
                    candidates.Offer(node, similarity);
                }
            }
        }

        return Rescore(state, unit, candidates.Drain(), k);
    }

    /// <summary>
    /// Approximate search through the graph with a candidate list of <paramref name="efSearch"/> (default: the
    /// index's). Nodes rejected by <paramref name="allowed"/> are traversed but never returned, so a filter never
    /// shrinks the result below k while enough allowed nodes are reachable.
    /// </summary>
    public List<ScoredNode> Search(ReadOnlySpan<float> query, int k, int? efSearch = null, Func<int, bool>? allowed = null)
    {
        var state = Volatile.Read(ref _state);
        if (state.Count == 0 || k < 1)
        {
            return [];
        }

        if (!Options.BuildGraph)
        {
            return SearchExact(query, k, allowed);
        }

        var unit = Normalized(query);
        var scorer = new Scorer(state, unit);
        var entry = state.EntryPoint;
        // A writer sets the entry point and the top level one after the other: start from the entry's own top layer,
        // so a reader that saw one change and not the other never reads a layer the entry does not have.
        for (var level = Math.Min(state.MaxLevel, state.Levels[entry]); level > 0; level--)
        {
            entry = GreedyClosest(state, ref scorer, entry, level);
        }

        var ef = Math.Max(efSearch ?? Options.EfSearch, k);
        // Without deletions or a filter every node is acceptable: skip the per-node callback on the hot path.
        Func<int, bool>? accept = DeletedCount == 0 && allowed is null ? null : node => state.Deleted[node] == 0 && (allowed is null || allowed(node));
        var found = SearchLayer(state, ref scorer, entry, ef, 0, accept);
        if (accept is not null && found.Count < k && found.Count < state.Count - DeletedCount)
        {
            // The walk reached fewer than k acceptable nodes: a selective filter, or a region the graph reaches
            // poorly (many identical vectors fill each other's link lists and crowd others out). Scan instead, so a
            // filter never returns fewer than k while k acceptable nodes exist.
            return SearchExact(query, k, allowed);
        }

        // Rescore the int8 walk's best k x RescoreFactor with floats, not all ef of them: at efSearch 256 reading 256
        // scattered float rows cost more than the walk saved.
        return state.Codes is null ? [.. found.Take(k)] : Rescore(state, unit, found[..Math.Min(found.Count, k * VectorIndexOptions.RescoreFactor)], k);
    }

    private float[] Normalized(ReadOnlySpan<float> query)
    {
        if (query.Length != Dimensions)
        {
            throw new Core.SiftException($"query vector has {query.Length} dimensions but the index has {Dimensions}");
        }

        var unit = query.ToArray();
        VectorMath.Normalize(unit);
        return unit;
    }

    private static List<ScoredNode> Rescore(State state, float[] query, List<ScoredNode> candidates, int k)
    {
        // The rows are scattered: ask for all of them first, so their loads overlap instead of queueing one by one.
        foreach (var candidate in candidates)
        {
            PrefetchBytes(ref Unsafe.As<float, byte>(ref state.Vectors[candidate.Node * state.Dimensions]), state.Dimensions * sizeof(float));
        }

        var top = new TopK(k);
        foreach (var candidate in candidates)
        {
            top.Offer(candidate.Node, VectorMath.Dot(query, state.Row(candidate.Node)));
        }

        return top.Drain();
    }

    /// <summary>Hints the CPU to load <paramref name="length"/> bytes into cache; a no-op without SSE.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchBytes(ref byte start, int length)
    {
        if (Sse.IsSupported)
        {
            // The arrays are not pinned: a hint at a moved address is harmless, and nothing is read through it.
            // From the cache line holding the first byte to the one holding the last: rows need not start on a line.
            var first = (nuint)Unsafe.AsPointer(ref start) & ~(nuint)63;
            var last = (nuint)Unsafe.AsPointer(ref start) + (nuint)length - 1;
            for (var line = first; line <= last; line += 64)
            {
                Sse.Prefetch0((void*)line);
            }
        }
    }

    private State EnsureCapacity(int needed)
    {
        if (needed <= _state.Capacity)
        {
            return _state;
        }

        var grown = _state.Grow(Math.Max(needed, _state.Capacity * 2));
        Volatile.Write(ref _state, grown);
        return grown;
    }

    /// <summary>
    /// Everything a reader needs, published as one reference. Growing copies the arrays into a new State; readers
    /// holding the old one keep a valid, slightly older graph. The bottom layer, which every search walks, is one flat
    /// array (per node: a link count, then room for 2M links) so a hop costs one memory access, not three; the few
    /// nodes on upper layers keep a small array per layer.
    /// </summary>
    private sealed class State
    {
        public readonly int Dimensions;
        public readonly int Level0Stride;
        public readonly float[] Vectors;
        /// <summary>Per node: its int8 codes, then its scale (4 bytes), so a graph hop reads one run of cache lines.</summary>
        public readonly sbyte[]? Codes;
        public readonly int CodeStride;
        public readonly int[] Levels;
        public readonly int[] Level0;
        public readonly int[][][] UpperLinks;
        public readonly byte[] Deleted;
        public int Count;
        public int EntryPoint;
        public int MaxLevel = -1;

        public State(int dimensions, int m, int capacity, bool quantize)
        {
            Dimensions = dimensions;
            Level0Stride = 1 + 2 * m;
            Vectors = new float[capacity * dimensions];
            CodeStride = dimensions + sizeof(float);
            Codes = quantize ? new sbyte[capacity * CodeStride] : null;
            Levels = new int[capacity];
            Level0 = new int[capacity * Level0Stride];
            UpperLinks = new int[capacity][][];
            Deleted = new byte[capacity];
        }

        public int Capacity => Levels.Length;

        public ReadOnlySpan<float> Row(int node) => Vectors.AsSpan(node * Dimensions, Dimensions);

        public ReadOnlySpan<sbyte> CodeRow(int node) => Codes.AsSpan(node * CodeStride, Dimensions);

        public float Scale(int node) => BitConverter.ToSingle(MemoryMarshal.AsBytes(Codes.AsSpan((node * CodeStride) + Dimensions, sizeof(float))));

        public void SetScale(int node, float scale) => MemoryMarshal.Write(MemoryMarshal.AsBytes(Codes.AsSpan((node * CodeStride) + Dimensions, sizeof(float))), scale);

        /// <summary>
        /// A node's links on one layer. A writer may be rewriting a bottom-layer list in place while a reader reads it:
        /// the reader then sees a mix of old and new links, every one a real node, which a search tolerates.
        /// </summary>
        public ReadOnlySpan<int> Links(int node, int level)
        {
            if (level > 0)
            {
                return UpperLinks[node][level - 1];
            }

            var start = node * Level0Stride;
            var count = Math.Min(Volatile.Read(ref Level0[start]), Level0Stride - 1);
            return Level0.AsSpan(start + 1, count);
        }

        /// <summary>Replaces a node's links on one layer (writer only): links first, then the count readers go by.</summary>
        public void SetLinks(int node, int level, ReadOnlySpan<int> links)
        {
            if (level > 0)
            {
                UpperLinks[node][level - 1] = links.ToArray();
                return;
            }

            var start = node * Level0Stride;
            links.CopyTo(Level0.AsSpan(start + 1, Level0Stride - 1));
            Volatile.Write(ref Level0[start], links.Length);
        }

        /// <summary>Adds one link to a list that has room (writer only).</summary>
        public void AppendLink(int node, int level, int link)
        {
            if (level > 0)
            {
                UpperLinks[node][level - 1] = [.. UpperLinks[node][level - 1], link];
                return;
            }

            var start = node * Level0Stride;
            var count = Level0[start];
            Level0[start + 1 + count] = link;
            Volatile.Write(ref Level0[start], count + 1);
        }

        public State Grow(int capacity)
        {
            var grown = new State(Dimensions, (Level0Stride - 1) / 2, capacity, Codes is not null)
            {
                Count = Count,
                EntryPoint = EntryPoint,
                MaxLevel = MaxLevel,
            };
            Vectors.AsSpan(0, Count * Dimensions).CopyTo(grown.Vectors);
            Codes?.AsSpan(0, Count * CodeStride).CopyTo(grown.Codes);
            Levels.AsSpan(0, Count).CopyTo(grown.Levels);
            Level0.AsSpan(0, Count * Level0Stride).CopyTo(grown.Level0);
            UpperLinks.AsSpan(0, Count).CopyTo(grown.UpperLinks);
            Deleted.AsSpan(0, Count).CopyTo(grown.Deleted);
            return grown;
        }
    }

    /// <summary>Similarity of one query to nodes, by float rows or, when the index is quantised, by int8 codes.</summary>
    private readonly struct Scorer
    {
        private readonly State _state;
        private readonly float[] _query;
        private readonly sbyte[]? _codes;
        private readonly float _scale;

        public Scorer(State state, float[] query, bool useCodes = true)
        {
            _state = state;
            _query = query;
            if (useCodes && state.Codes is not null)
            {
                _codes = new sbyte[query.Length];
                _scale = VectorMath.Quantize(query, _codes);
            }
        }

        /// <summary>
        /// Asks the CPU to start loading a node's row, so it is in cache when <see cref="Similarity"/> reads it: the
        /// whole int8 row with its scale (388 bytes at 384 dimensions), or the first lines of a float row (the hardware prefetcher
        /// follows on from there).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Prefetch(int node)
        {
            if (_codes is null)
            {
                PrefetchBytes(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_state.Vectors), node * _state.Dimensions)), 128);
            }
            else
            {
                PrefetchBytes(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_state.Codes!), node * _state.CodeStride)), _state.CodeStride);
            }
        }

        public float Similarity(int node) => _codes is null
            ? VectorMath.Dot(_query, _state.Row(node))
            : VectorMath.DotInt8(_codes, _state.CodeRow(node)) * _scale * _state.Scale(node);
    }
}
