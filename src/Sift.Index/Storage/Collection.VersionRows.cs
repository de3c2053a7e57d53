using System.Text.Json;
using Microsoft.Data.Sqlite;
using Sift.Core.Documents;
using Sift.Core.Storage;

namespace Sift.Index.Storage;

public sealed partial class Collection
{
    private readonly VersionIndexCache _versionIndexes = new();

    /// <summary>A version's rows in this database: the working tables and the archive, restricted to its revisions.</summary>
    private sealed class VersionRows(Collection collection) : IVersionRows
    {
        private const string DocumentColumns = "id, source, title, content_hash, metadata, chunk_count, ingested_at";

        public IReadOnlyList<DocumentRecord> Documents(long[] revisions)
        {
            using var connection = collection.Connect();
            using var command = Query(connection, $"""
                SELECT {DocumentColumns} FROM documents WHERE rev IN (SELECT value FROM json_each($revs))
                UNION ALL
                SELECT {DocumentColumns} FROM archived_documents WHERE rev IN (SELECT value FROM json_each($revs))
                ORDER BY 1
                """, revisions);
            using var reader = command.ExecuteReader();
            return StoredRows.ReadAll(reader, r => ReadDocument((SqliteDataReader)r));
        }

        public (DocumentRecord Document, IReadOnlyList<long> ChunkIds)? Document(string id, long[] revisions)
        {
            using var connection = collection.Connect();
            using var command = Query(connection, $"""
                SELECT {DocumentColumns}, rev, 0 FROM documents WHERE id = $id AND rev IN (SELECT value FROM json_each($revs))
                UNION ALL
                SELECT {DocumentColumns}, rev, 1 FROM archived_documents WHERE id = $id AND rev IN (SELECT value FROM json_each($revs))
                """, revisions);
            command.Parameters.AddWithValue("$id", id);
            DocumentRecord document;
            long revision;
            bool archived;
            using (var reader = command.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return null;
                }

                (document, revision, archived) = (ReadDocument(reader), reader.GetInt64(7), reader.GetInt64(8) == 1);
            }

            using var chunks = archived
                ? Command(connection, null, "SELECT id FROM archived_chunks WHERE rev = $key ORDER BY ordinal", "$key")
                : Command(connection, null, "SELECT id FROM chunks WHERE document_id = $key ORDER BY ordinal", "$key");
            chunks.Parameters[0].Value = archived ? revision : id;
            using var rows = chunks.ExecuteReader();
            return (document, StoredRows.ReadAll(rows, r => r.GetInt64(0)));
        }

        public IReadOnlyList<(StoredChunk Chunk, long Revision)> Chunks(IReadOnlyList<long> chunkIds)
        {
            using var connection = collection.Connect();
            using var command = Command(connection, null, """
                SELECT c.id, c.document_id, d.source, d.title, c.text, c.start_offset, c.end_offset, c.heading_path, c.page, d.rev
                FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id IN (SELECT value FROM json_each($ids))
                UNION ALL
                SELECT c.id, c.document_id, d.source, d.title, c.text, c.start_offset, c.end_offset, c.heading_path, c.page, c.rev
                FROM archived_chunks c JOIN archived_documents d ON d.rev = c.rev WHERE c.id IN (SELECT value FROM json_each($ids))
                """, "$ids");
            command.Parameters[0].Value = JsonSerializer.Serialize(chunkIds);
            using var reader = command.ExecuteReader();
            return StoredRows.ReadAll(reader, r => (StoredRows.ReadChunk(r), r.GetInt64(9)));
        }

        public IReadOnlyList<(long ChunkId, string DocumentId, string Terms)> LexicalRows(long[] revisions)
        {
            using var connection = collection.Connect();
            using var command = Query(connection, """
                SELECT c.id, c.document_id, c.terms, c.ordinal FROM chunks c JOIN documents d ON d.id = c.document_id
                WHERE d.rev IN (SELECT value FROM json_each($revs))
                UNION ALL
                SELECT id, document_id, terms, ordinal FROM archived_chunks WHERE rev IN (SELECT value FROM json_each($revs))
                ORDER BY 2, 4
                """, revisions);
            using var reader = command.ExecuteReader();
            return StoredRows.ReadAll(reader, r => (r.GetInt64(0), r.GetString(1), r.GetString(2)));
        }

        public IReadOnlyList<(long ChunkId, float[] Vector)> Vectors(long[] revisions)
        {
            using var connection = collection.Connect();
            using var command = Query(connection, """
                SELECT e.chunk_id, e.vector FROM embeddings e JOIN chunks c ON c.id = e.chunk_id JOIN documents d ON d.id = c.document_id
                WHERE d.rev IN (SELECT value FROM json_each($revs))
                UNION ALL
                SELECT e.chunk_id, e.vector FROM archived_embeddings e JOIN archived_chunks c ON c.id = e.chunk_id
                WHERE c.rev IN (SELECT value FROM json_each($revs))
                ORDER BY 1
                """, revisions);
            using var reader = command.ExecuteReader();
            return StoredRows.ReadAll(reader, r => (r.GetInt64(0), FromBlob((byte[])r.GetValue(1))));
        }

        /// <summary>A query over the version's revisions, passed as one JSON array ($revs).</summary>
        private static SqliteCommand Query(SqliteConnection connection, string sql, long[] revisions)
        {
            var command = Command(connection, null, sql);
            command.Parameters.AddWithValue("$revs", JsonSerializer.Serialize(revisions));
            return command;
        }
    }
}
