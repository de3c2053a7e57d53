using Sift.Core.Filtering;
using Sift.Core.Storage;
using Sift.Core.Vectors;

namespace Sift.Index.Storage;

/// <summary>
/// Every vector of a version scored against the query: what a version other than the working state searches with,
/// since the collection's graph follows the working state. Exact, so the result depends on the version's vectors alone
/// (ties by <see cref="ChunkScore.BestFirst"/>), at a cost linear in the chunks (about 1 ms per 10,000 at 300 dimensions).
/// </summary>
public sealed class ExactDenseIndex : IDenseIndex
{
    private readonly long[] _chunkIds;
    private readonly string[] _documentIds;
    private readonly float[] _vectors;
    private readonly int _dimensions;
    private readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> _metadata;

    /// <param name="documentOf">Each chunk's document (a version's lexical snapshot lists every chunk with its document).</param>
    public ExactDenseIndex(
        long generation, IReadOnlyList<(long ChunkId, float[] Vector)> vectors, LexicalSnapshot documentOf,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> metadata, int efSearch)
    {
        Generation = generation;
        EfSearch = efSearch;
        _metadata = metadata;
        var documents = new Dictionary<long, string>(documentOf.ChunkIds.Length);
        for (var i = 0; i < documentOf.ChunkIds.Length; i++)
        {
            documents[documentOf.ChunkIds[i]] = documentOf.DocumentIds[i];
        }

        _dimensions = vectors.Count == 0 ? 0 : vectors[0].Vector.Length;
        _chunkIds = [.. vectors.Select(v => v.ChunkId)];
        _documentIds = [.. vectors.Select(v => documents.GetValueOrDefault(v.ChunkId, ""))];
        _vectors = new float[vectors.Count * _dimensions];
        for (var i = 0; i < vectors.Count; i++)
        {
            var row = _vectors.AsSpan(i * _dimensions, _dimensions);
            vectors[i].Vector.CopyTo(row);
            VectorMath.Normalize(row);
        }
    }

    public long Generation { get; }

    public int EfSearch { get; }

    public IReadOnlyList<ChunkScore> Search(float[] vector, int k, MetadataFilter? filter, int? efSearch, bool exact)
    {
        if (vector.Length != _dimensions || _chunkIds.Length == 0)
        {
            return [];
        }

        var query = vector.ToArray();
        VectorMath.Normalize(query);
        var allowed = MetadataSlots.Allowed(_documentIds, () => _metadata, filter);
        var scores = new List<ChunkScore>(_chunkIds.Length);
        for (var i = 0; i < _chunkIds.Length; i++)
        {
            if (allowed is null || allowed(i))
            {
                scores.Add(new ChunkScore(_chunkIds[i], _documentIds[i], VectorMath.Dot(query, _vectors.AsSpan(i * _dimensions, _dimensions))));
            }
        }

        scores.Sort(ChunkScore.BestFirst);
        return scores.Count > k ? scores[..k] : scores;
    }
}
