using System.Data.Common;
using System.Text.Json;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Core.Storage;

namespace Sift.Index.Storage;

/// <summary>What every store does alike with its rows, whatever the database: the same checks and the same shapes.</summary>
public static class StoredRows
{
    /// <summary>
    /// Chunks from rows of (id, document id, source, title, text, start, end, heading path JSON, page), in the order
    /// <paramref name="chunkIds"/> asks for them; ids with no row are left out.
    /// </summary>
    public static IReadOnlyList<StoredChunk> ChunksInOrder(DbDataReader reader, IReadOnlyList<long> chunkIds)
    {
        var byId = new Dictionary<long, StoredChunk>();
        while (reader.Read())
        {
            var chunk = ReadChunk(reader);
            byId[chunk.Id] = chunk;
        }

        return [.. chunkIds.Where(byId.ContainsKey).Select(id => byId[id])];
    }

    /// <summary>A chunk from a row of (id, document id, source, title, text, start, end, heading path JSON, page).</summary>
    public static StoredChunk ReadChunk(DbDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
        reader.GetInt32(5), reader.GetInt32(6),
        JsonSerializer.Deserialize<string[]>(reader.GetString(7))!,
        reader.IsDBNull(8) ? null : reader.GetInt32(8));

    /// <summary>An alias move from a row of (alias, version, previous, at, by, reason).</summary>
    public static AliasMove ReadMove(DbDataReader r) =>
        new(r.GetString(0), r.GetInt64(1), r.IsDBNull(2) ? null : r.GetInt64(2), r.GetString(3), r.GetString(4), r.GetString(5));

    /// <summary>A version report from a row of (kind, created at, report).</summary>
    public static VersionReport ReadReport(DbDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2));

    /// <summary>Every row of <paramref name="reader"/>, each turned into a value by <paramref name="read"/>.</summary>
    public static List<T> ReadAll<T>(DbDataReader reader, Func<DbDataReader, T> read)
    {
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>The source roots after adding <paramref name="folder"/>, or null when a recorded root already holds it.</summary>
    public static string[]? WithSourceRoot(IReadOnlyList<string> roots, string folder)
    {
        var full = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        return roots.Any(r => SourcePaths.IsUnder(full, r)) ? null : [.. roots, full];
    }

    /// <summary>
    /// Decides a session's embedder against what the collection recorded: the same model may continue, another is
    /// refused (vectors of different models cannot be compared), and a collection that recorded none takes this one,
    /// unless it already holds chunks without vectors. True when the identity should be recorded now.
    /// </summary>
    /// <param name="holdsChunks">Asked only when nothing is recorded yet.</param>
    public static bool RecordEmbedder(string collection, string? storedIdentity, string? storedSpec, string identity, Func<bool> holdsChunks)
    {
        if (storedIdentity is not null)
        {
            return storedIdentity == identity
                ? false
                : throw new SiftException($"collection '{collection}' holds vectors from {storedIdentity} (embedder {storedSpec}); this run uses {identity}");
        }

        return identity == StoredVectors.NoEmbedder || !holdsChunks()
            ? true
            : throw new SiftException($"collection '{collection}' was built without an embedder; ingest into a new collection to add vectors");
    }
}
