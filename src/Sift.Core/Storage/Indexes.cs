using Sift.Core.Filtering;

namespace Sift.Core.Storage;

/// <summary>A chunk's id, its document and its score from one ranker (higher is better).</summary>
public readonly record struct ChunkScore(long ChunkId, string DocumentId, double Score)
{
    /// <summary>
    /// Best first; equal scores by document id (ordinal), then chunk id. A document's chunks are always written in
    /// ordinal order within one transaction, so chunk id order within a document is ordinal order on every backend,
    /// and rankings do not depend on the order documents were written in or on a store's row ids.
    /// </summary>
    public static Comparison<ChunkScore> BestFirst { get; } = (a, b) =>
    {
        var byScore = b.Score.CompareTo(a.Score);
        if (byScore != 0)
        {
            return byScore;
        }

        var byDocument = string.CompareOrdinal(a.DocumentId, b.DocumentId);
        return byDocument != 0 ? byDocument : a.ChunkId.CompareTo(b.ChunkId);
    };
}

/// <summary>What one caller may see of a collection generation.</summary>
/// <param name="Version">A digest of the visible documents' ids and content hashes: it changes when what the caller sees changes, never because of a write the caller cannot see.</param>
public sealed record VisibleCounts(long Documents, long Chunks, string Version);

/// <summary>
/// BM25 over one collection generation. When a filter carries the caller's access, collection statistics come from
/// the documents that caller may see, so scores reveal nothing about hidden documents.
/// </summary>
/// <summary>An analysed query term and how much it counts (1 for each time a plain query holds it).</summary>
public readonly record struct WeightedTerm(string Term, double Weight);

public interface ILexicalIndex
{
    long Generation { get; }

    /// <summary>The <paramref name="k"/> best chunks for analysed query terms, in <see cref="ChunkScore.BestFirst"/> order, filtered while scoring.</summary>
    IReadOnlyList<ChunkScore> Search(IReadOnlyList<string> terms, int k, MetadataFilter? filter);

    /// <summary>The same for weighted terms (an expanded query): each term's BM25 contribution times its weight; a term given twice adds up.</summary>
    IReadOnlyList<ChunkScore> Search(IReadOnlyList<WeightedTerm> terms, int k, MetadataFilter? filter);

    /// <summary>A term's inverse document frequency over what <paramref name="access"/> may see (all when null).</summary>
    double Idf(string term, AccessScope? access);

    /// <summary>Document and chunk counts and a content version of what <paramref name="access"/> may see.</summary>
    VisibleCounts Visible(AccessScope? access);
}

/// <summary>Nearest-neighbour search over one collection generation's chunk vectors.</summary>
public interface IDenseIndex
{
    long Generation { get; }

    /// <summary>The collection's configured HNSW breadth, used when a search names none.</summary>
    int EfSearch { get; }

    /// <summary>
    /// The <paramref name="k"/> chunks most similar to <paramref name="vector"/>, filtered inside the search (never
    /// afterwards, so a selective filter still returns k when k match); <paramref name="exact"/> scans every vector.
    /// </summary>
    IReadOnlyList<ChunkScore> Search(float[] vector, int k, MetadataFilter? filter, int? efSearch, bool exact);
}
