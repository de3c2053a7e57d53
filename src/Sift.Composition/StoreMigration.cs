using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Models;

namespace Sift.Composition;

/// <param name="Checksum">SHA-256 over every document (id, content hash, metadata) and chunk (ordinal, text, offsets, heading path, page, vector bits), in id order: equal on both sides.</param>
public sealed record MigratedCollection(string Name, long Documents, long Chunks, long Vectors, string Checksum);

/// <summary>
/// Copies collections from one store to another through the store contract (so any backend to any other): documents
/// with their metadata, access lists and file stamps, chunks with offsets, heading paths and pages, the stored vectors
/// as they are (no re-embedding), settings, chunker, embedder and source roots. Each copy is then read back and
/// compared with its source by counts and a checksum over everything copied; a mismatch deletes the copy.
/// </summary>
public static class StoreMigration
{
    private const int BatchDocuments = 256;

    /// <param name="names">The collections to copy; all of the source's when empty.</param>
    public static IReadOnlyList<MigratedCollection> Copy(IStore from, IStore to, IReadOnlyList<string> names, IProgress<string>? progress = null)
    {
        var chosen = names.Count > 0 ? names : from.List();
        foreach (var name in chosen)
        {
            if (!from.Exists(name))
            {
                throw new SiftException($"the source store {from.Location} has no collection '{name}'");
            }

            if (to.Exists(name))
            {
                throw new SiftException($"the target store {to.Location} already has a collection '{name}': delete it there first, or copy the others by name");
            }
        }

        var copied = new List<MigratedCollection>();
        foreach (var name in chosen)
        {
            progress?.Report(name);
            using var source = from.Open(name);
            var target = to.OpenOrCreate(name);
            try
            {
                using (target)
                {
                    CopyCollection(source, target);
                }

                using var reopened = to.Open(name);
                var expected = Summarise(source);
                var actual = Summarise(reopened);
                if (expected != actual)
                {
                    throw new SiftException($"collection '{name}' did not copy faithfully: the source has {expected}, the copy {actual}");
                }

                copied.Add(expected);
            }
            catch
            {
                to.Delete(name); // a partial copy would pass for a finished one
                throw;
            }
        }

        return copied;
    }

    private static void CopyCollection(IChunkStore source, IChunkStore target)
    {
        var spec = source.EmbedderSpec ?? "none";
        target.UseEmbedder(spec, EmbedderCatalog.Create(spec));
        if (target.Info().Embedder != source.Info().Embedder)
        {
            // The vectors are copied, not remade: the embedder here must be the model that made them.
            throw new SiftException($"collection '{source.Name}' holds vectors from {source.Info().Embedder}; its embedder '{spec}' here is {target.Info().Embedder}");
        }
        target.Configure(source.Settings);
        foreach (var root in source.SourceRoots)
        {
            target.AddSourceRoot(root);
        }

        var states = source.ListDocuments();
        foreach (var ids in states.Keys.Order(StringComparer.Ordinal).Chunk(BatchDocuments))
        {
            var batch = new List<DocumentChunks>(ids.Length);
            foreach (var id in ids)
            {
                var (record, chunks) = source.Document(id) ?? throw new SiftException($"document '{id}' disappeared from '{source.Name}' during the copy");
                var vectors = target.Embedder is null ? null : source.GetVectors([.. chunks.Select(c => c.Id)]);
                var document = new SourceDocument(record.Id, record.Source, record.Title, "", record.ContentHash, record.Metadata, []);
                batch.Add(new DocumentChunks(
                    document,
                    [.. chunks.Select((c, ordinal) => new Chunk(c.DocumentId, ordinal, c.Text, c.Start, c.End, c.HeadingPath, c.Page, ContentHash.Of(c.Text)))],
                    states[id].FileStamp,
                    vectors));
            }

            target.Write(batch);
        }

        target.FinishIngest(source.ChunkerFingerprint);
    }

    private static MigratedCollection Summarise(IChunkStore collection)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long documents = 0, chunks = 0, vectors = 0;
        foreach (var id in collection.ListDocuments().Keys.Order(StringComparer.Ordinal))
        {
            var (record, stored) = collection.Document(id)!.Value;
            documents++;
            Add(hash, record.Id, record.ContentHash, JsonSerializer.Serialize(record.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal)));
            var storedVectors = collection.GetVectors([.. stored.Select(c => c.Id)]);
            for (var ordinal = 0; ordinal < stored.Count; ordinal++)
            {
                var chunk = stored[ordinal];
                chunks++;
                Add(hash, ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture), chunk.Text, $"{chunk.Start}-{chunk.End}", string.Join('/', chunk.HeadingPath), chunk.Page?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "");
                if (storedVectors[ordinal] is { } vector)
                {
                    vectors++;
                    hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan()));
                }
            }
        }

        return new MigratedCollection(collection.Name, documents, chunks, vectors, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static void Add(IncrementalHash hash, params string[] fields)
    {
        foreach (var field in fields)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(field));
            hash.AppendData([0]);
        }
    }
}
