using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Sift.Core.Filtering;

namespace Sift.Index.Storage;

/// <summary>What one caller may see of a collection generation: counts and a content version of those documents only.</summary>
/// <param name="Partitions">Which access partitions are visible; null when all are (no restriction to apply).</param>
/// <param name="Version">
/// A digest of the visible documents' ids and content hashes: it changes when what the caller sees changes, and never
/// because of a write the caller cannot see.
/// </param>
public sealed record VisibleContent(IReadOnlyList<bool>? Partitions, long Documents, long Chunks, string Version);

/// <summary>
/// The documents of one collection generation grouped by access list: each distinct list is a partition, so what a
/// caller may see is a set of partitions, decided once per principal set and cached for the generation. Collection
/// statistics (BM25 document frequencies, lengths), counts and versions shown to a caller come from visible
/// partitions only, so nothing a caller sees depends on documents hidden from it.
/// </summary>
public sealed class AccessPartitions
{
    private const int MaxCachedScopes = 4096;

    private readonly string?[] _acls;
    private readonly int[] _documents;
    private readonly int[] _chunks;
    private readonly string[] _digests;
    private readonly ConcurrentDictionary<string, VisibleContent> _byScope = new(StringComparer.Ordinal);

    private AccessPartitions(int[] partitionOfSlot, string?[] acls, int[] documents, int[] chunks, string[] digests)
    {
        PartitionOfSlot = partitionOfSlot;
        _acls = acls;
        _documents = documents;
        _chunks = chunks;
        _digests = digests;
        Everything = new VisibleContent(null, documents.Sum(), chunks.Sum(), Combine(Enumerable.Range(0, acls.Length)));
    }

    /// <summary>Each slot's partition, for <see cref="Lexical.Bm25Index.Build"/>.</summary>
    public int[] PartitionOfSlot { get; }

    /// <summary>Per partition: its access list (null: everyone), documents, chunks and content digest, as an index file keeps them.</summary>
    internal IReadOnlyList<(string? Acl, int Documents, int Chunks, string Digest)> Table =>
        [.. _acls.Select((acl, p) => (acl, _documents[p], _chunks[p], _digests[p]))];

    /// <summary>Partitions as <see cref="Table"/> gave them, with each slot's partition.</summary>
    internal static AccessPartitions Restore(int[] partitionOfSlot, IReadOnlyList<(string? Acl, int Documents, int Chunks, string Digest)> table) =>
        new(partitionOfSlot, [.. table.Select(t => t.Acl)], [.. table.Select(t => t.Documents)], [.. table.Select(t => t.Chunks)], [.. table.Select(t => t.Digest)]);

    /// <summary>The whole generation, as a caller unrestricted by access lists (the local CLI) sees it.</summary>
    public VisibleContent Everything { get; }

    /// <param name="documentIdBySlot">The document of each index slot.</param>
    /// <param name="documents">Every document's metadata (holding its access list) and content hash.</param>
    public static AccessPartitions Build(
        IReadOnlyList<string> documentIdBySlot, IReadOnlyDictionary<string, (IReadOnlyDictionary<string, string> Metadata, string ContentHash)> documents)
    {
        var partitionOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var acls = new List<string?>();
        int PartitionFor(IReadOnlyDictionary<string, string> metadata)
        {
            var acl = metadata.TryGetValue(AccessScope.MetadataKey, out var list) && !string.IsNullOrWhiteSpace(list) ? list : null;
            if (!partitionOf.TryGetValue(acl ?? "", out var partition))
            {
                partition = partitionOf[acl ?? ""] = acls.Count;
                acls.Add(acl);
            }

            return partition;
        }

        var documentPartition = new Dictionary<string, int>(StringComparer.Ordinal);
        var manifests = new List<List<string>>();
        foreach (var (id, (metadata, hash)) in documents.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            var partition = documentPartition[id] = PartitionFor(metadata);
            while (manifests.Count <= partition)
            {
                manifests.Add([]);
            }

            manifests[partition].Add($"{id.Length}:{id}{hash}");
        }

        var slots = new int[documentIdBySlot.Count];
        var chunks = new int[acls.Count];
        string? previous = null;
        for (var slot = 0; slot < slots.Length; slot++)
        {
            // A document's chunks are usually neighbours (and share one id string when read from an index file).
            var id = documentIdBySlot[slot];
            slots[slot] = slot > 0 && ReferenceEquals(id, previous) ? slots[slot - 1]
                : documentPartition.TryGetValue(id, out var partition) ? partition : PartitionFor(new Dictionary<string, string>());
            previous = id;
            if (slots[slot] >= chunks.Length)
            {
                Array.Resize(ref chunks, slots[slot] + 1);
            }

            chunks[slots[slot]]++;
        }

        while (manifests.Count < acls.Count)
        {
            manifests.Add([]);
        }

        return new AccessPartitions(
            slots, [.. acls], [.. manifests.Select(m => m.Count)], chunks,
            [.. manifests.Select(m => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', m)))))]);
    }

    /// <summary>What a caller holding <paramref name="access"/> may see (cached per principal set for this generation).</summary>
    public VisibleContent VisibleTo(AccessScope? access)
    {
        if (access is null)
        {
            return Everything;
        }

        if (_byScope.TryGetValue(access.Fingerprint, out var known))
        {
            return known;
        }

        var visible = new bool[_acls.Length];
        for (var p = 0; p < visible.Length; p++)
        {
            visible[p] = access.AllowsList(_acls[p]);
        }

        var partitions = Enumerable.Range(0, visible.Length).Where(p => visible[p]).ToList();
        var content = partitions.Count == visible.Length
            ? Everything
            : new VisibleContent(visible, partitions.Sum(p => (long)_documents[p]), partitions.Sum(p => (long)_chunks[p]), Combine(partitions));
        if (_byScope.Count >= MaxCachedScopes)
        {
            _byScope.Clear();
        }

        return _byScope[access.Fingerprint] = content;
    }

    private string Combine(IEnumerable<int> partitions)
    {
        // Sorted by digest, so the version does not depend on partition numbering (which follows document ids).
        var text = string.Join('\n', partitions.Select(p => _digests[p]).Order(StringComparer.Ordinal));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }
}
