using Sift.Core;
using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Core.Telemetry;
using Sift.Index.Storage;
using Sift.Retrieval.Ranking;

namespace Sift.Retrieval.Dense;

/// <summary>
/// Vector search over one collection: embed the query with the collection's embedder, then search the HNSW index
/// (or scan exactly), filtering by metadata inside the graph search.
/// </summary>
public sealed class DenseRanker(Collection collection, int? efSearch = null, bool exact = false) : IChunkRanker
{
    public string Name => exact ? "dense-exact" : "dense";

    public async Task<IReadOnlyList<ChunkScore>> RankAsync(string query, int k, MetadataFilter? filter, CancellationToken cancellationToken)
    {
        var embedder = collection.Embedder ?? throw new SiftException($"collection '{collection.Name}' has no embedder: search it in mode bm25");
        var snapshot = collection.DenseIndex();
        float[] vector;
        using (SiftTelemetry.Start("embed"))
        {
            vector = (await embedder.EmbedAsync([query], Embedders.ForQueries, cancellationToken).ConfigureAwait(false))[0];
        }

        using var stage = SiftTelemetry.Start("vector");
        var allowed = MetadataSlots.Allowed(snapshot.DocumentIds, () => snapshot.DocumentMetadata, filter);
        var nodes = exact ? snapshot.Index.SearchExact(vector, k, allowed) : snapshot.Index.Search(vector, k, efSearch ?? snapshot.EfSearch, allowed);
        return [.. nodes.Select(n => new ChunkScore(snapshot.ChunkIds[n.Node], snapshot.DocumentIds[n.Node], n.Similarity))];
    }
}
