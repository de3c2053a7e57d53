using Sift.Core;
using Sift.Core.Stages;

namespace Sift.Index.Storage;

/// <summary>What every store checks of the vectors a write brings: all or none, as the collection's embedder says.</summary>
public static class StoredVectors
{
    /// <summary>The identity recorded for a collection built without an embedder.</summary>
    public const string NoEmbedder = "none";

    /// <summary>
    /// True when the batch carries a vector for every chunk, all of one dimension, as a collection whose recorded
    /// embedder is <paramref name="embedderIdentity"/> needs; false when the collection has no embedder (any vectors
    /// are then refused). Anything in between is a <see cref="SiftException"/> naming the document.
    /// </summary>
    public static bool Check(string collection, string? embedderIdentity, IReadOnlyList<DocumentChunks> batch)
    {
        if (embedderIdentity is null or NoEmbedder)
        {
            var carrying = batch.FirstOrDefault(d => d.Vectors is not null && d.Chunks.Count > 0);
            return carrying is null
                ? false
                : throw new SiftException($"collection '{collection}' has no embedder, but document '{carrying.Document.Id}' came with vectors");
        }

        int? dimensions = null;
        foreach (var document in batch)
        {
            if (document.Vectors is not { } vectors || vectors.Count != document.Chunks.Count || vectors.Any(v => v is null))
            {
                throw new SiftException(
                    $"collection '{collection}' holds vectors from {embedderIdentity}: document '{document.Document.Id}' must come with a vector for each of its {document.Chunks.Count} chunks (embed the batch with the collection's embedder first)");
            }

            foreach (var vector in vectors)
            {
                dimensions ??= vector!.Length;
                if (vector!.Length != dimensions)
                {
                    throw new SiftException($"collection '{collection}': document '{document.Document.Id}' has a {vector.Length}-dimensional vector among {dimensions}-dimensional ones");
                }
            }
        }

        return true;
    }
}
