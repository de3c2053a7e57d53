using System.Text.Json;
using Sift.Core.Documents;
using Sift.Core.Filtering;
using Sift.Core.Storage;

namespace Sift.Index.Storage;

public sealed partial class Collection
{
    /// <summary>The documents matching <paramref name="filter"/> (all when null), by id.</summary>
    public IReadOnlyList<DocumentRecord> Documents(MetadataFilter? filter = null)
    {
        using var connection = Connect();
        using var command = Command(connection, null, "SELECT id, source, title, content_hash, metadata, chunk_count, ingested_at FROM documents ORDER BY id");
        using var reader = command.ExecuteReader();
        var documents = new List<DocumentRecord>();
        while (reader.Read())
        {
            var document = ReadDocument(reader);
            if (filter is null || filter.Matches(document.Metadata))
            {
                documents.Add(document);
            }
        }

        return documents;
    }

    /// <summary>One document and its chunks in order, or null when there is none with that id.</summary>
    public (DocumentRecord Document, IReadOnlyList<StoredChunk> Chunks)? Document(string id)
    {
        using var connection = Connect();
        DocumentRecord document;
        using (var command = Command(connection, null, "SELECT id, source, title, content_hash, metadata, chunk_count, ingested_at FROM documents WHERE id = $id", "$id"))
        {
            command.Parameters[0].Value = id;
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            document = ReadDocument(reader);
        }

        var chunkIds = new List<long>();
        using (var command = Command(connection, null, "SELECT id FROM chunks WHERE document_id = $id ORDER BY ordinal", "$id"))
        {
            command.Parameters[0].Value = id;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                chunkIds.Add(reader.GetInt64(0));
            }
        }

        return (document, GetChunks(chunkIds));
    }

    private static DocumentRecord ReadDocument(Microsoft.Data.Sqlite.SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
        JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(4))!, reader.GetInt32(5), reader.GetString(6));
}

public sealed partial class Collection
{
    private const string SourceRootsKey = "source_roots";

    /// <summary>Folders this collection was ingested from (absolute paths), which file ids are relative to.</summary>
    public IReadOnlyList<string> SourceRoots =>
        ReadMetaValue(SourceRootsKey) is { } roots ? JsonSerializer.Deserialize<string[]>(roots)! : [];

    /// <summary>Records a folder as a root, unless a recorded root already holds it.</summary>
    public void AddSourceRoot(string folder)
    {
        if (StoredRows.WithSourceRoot(SourceRoots, folder) is { } roots)
        {
            using var connection = Connect();
            WriteMeta(connection, null, SourceRootsKey, JsonSerializer.Serialize(roots));
        }
    }
}
