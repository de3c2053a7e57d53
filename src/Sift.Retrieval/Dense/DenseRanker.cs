using Sift.Core;
using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Core.Telemetry;
using Sift.Retrieval.Ranking;

namespace Sift.Retrieval.Dense;

/// <summary>
/// Vector search over one collection: embed the query with the collection's embedder, then search its dense index
/// (HNSW or pgvector, or an exact scan), filtering by metadata inside the search.
/// </summary>
public sealed class DenseRanker(IChunkStore collection, int? efSearch = null, bool exact = false) : IChunkRanker
{
    public string Name => exact ? "dense-exact" : "dense";

    public async Task<IReadOnlyList<ChunkScore>> RankAsync(string query, int k, MetadataFilter? filter, CancellationToken cancellationToken)
    {
        var embedder = collection.Embedder ?? throw new SiftException($"collection '{collection.Name}' has no embedder: search it in mode bm25");
        var index = collection.DenseIndex();
        float[] vector;
        using (SiftTelemetry.Start("embed"))
        {
            vector = (await embedder.EmbedAsync([query], Embedders.ForQueries, cancellationToken).ConfigureAwait(false))[0];
        }

        using var stage = SiftTelemetry.Start("vector");
        return index.Search(vector, k, filter, efSearch, exact);
    }
}
