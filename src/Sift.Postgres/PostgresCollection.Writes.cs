using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Pgvector;
using Sift.Core;
using Sift.Core.Stages;
using Sift.Index.Storage;

namespace Sift.Postgres;

public sealed partial class PostgresCollection
{
    /// <summary>
    /// One transaction per batch: old rows of the batch's documents go (their chunks and vectors by cascade), then
    /// documents, chunks and vectors are streamed in with COPY. Chunk ids are taken from the sequence up front, in
    /// document then ordinal order, so a document's chunk ids ascend with their ordinals as on the embedded store.
    /// </summary>
    public void Write(IReadOnlyList<DocumentChunks> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var withVectors = StoredVectors.Check(Name, ReadMeta().GetValueOrDefault(EmbedderIdentityKey), batch);
        using var connection = _data.OpenConnection();
        using var transaction = connection.BeginTransaction();
        var dimensions = LockRow(connection, transaction);
        if (withVectors && batch.FirstOrDefault(d => d.Chunks.Count > 0)?.Vectors![0]!.Length is { } length)
        {
            dimensions = EnsureVectorTable(connection, transaction, dimensions, length);
        }

        var replaced = batch.Select(d => d.Document.Id).ToArray();
        Archive(connection, transaction, replaced, dimensions);
        using (var delete = Command(connection, transaction, "DELETE FROM sift_documents WHERE collection = $1 AND id = ANY($2)", _key, replaced))
        {
            delete.ExecuteNonQuery();
        }

        var now = DateTime.UtcNow;
        using (var documents = connection.BeginBinaryImport(
            "COPY sift_documents(collection, id, source, title, content_hash, metadata, acl, chunk_count, ingested_at, file_stamp) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var item in batch)
            {
                var document = item.Document;
                documents.StartRow();
                documents.Write(_key, NpgsqlDbType.Bigint);
                documents.Write(document.Id, NpgsqlDbType.Text);
                documents.Write(document.Source, NpgsqlDbType.Text);
                documents.Write(document.Title, NpgsqlDbType.Text);
                documents.Write(document.ContentHash, NpgsqlDbType.Text);
                documents.Write(JsonSerializer.Serialize(document.Metadata), NpgsqlDbType.Jsonb);
                WriteOrNull(documents, AccessList(document.Metadata), TextArray);
                documents.Write(item.Chunks.Count, NpgsqlDbType.Integer);
                documents.Write(now, NpgsqlDbType.TimestampTz);
                WriteOrNull(documents, item.FileStamp, NpgsqlDbType.Text);
            }

            documents.Complete();
        }

        var ids = NewChunkIds(connection, transaction, batch.Sum(d => d.Chunks.Count));
        using (var chunks = connection.BeginBinaryImport(
            "COPY sift_chunks(id, collection, document_id, ordinal, text, start_offset, end_offset, heading_path, page, content_hash, terms) FROM STDIN (FORMAT BINARY)"))
        {
            var next = 0;
            foreach (var (positions, terms) in ChunkTerms.Groups(_analyzer, batch))
            {
                for (var k = 0; k < positions.Count; k++)
                {
                    var (i, c) = positions[k];
                    var chunk = batch[i].Chunks[c];
                    chunks.StartRow();
                    chunks.Write(ids[next++], NpgsqlDbType.Bigint);
                    chunks.Write(_key, NpgsqlDbType.Bigint);
                    chunks.Write(batch[i].Document.Id, NpgsqlDbType.Text);
                    chunks.Write(chunk.Ordinal, NpgsqlDbType.Integer);
                    chunks.Write(chunk.Text, NpgsqlDbType.Text);
                    chunks.Write(chunk.Start, NpgsqlDbType.Integer);
                    chunks.Write(chunk.End, NpgsqlDbType.Integer);
                    chunks.Write(JsonSerializer.Serialize(chunk.HeadingPath), NpgsqlDbType.Text);
                    if (chunk.Page is { } page)
                    {
                        chunks.Write(page, NpgsqlDbType.Integer);
                    }
                    else
                    {
                        chunks.WriteNull();
                    }

                    chunks.Write(chunk.ContentHash, NpgsqlDbType.Text);
                    chunks.Write(terms[k], NpgsqlDbType.Text);
                }
            }

            chunks.Complete();
        }

        if (withVectors && ids.Length > 0)
        {
            using var vectors = connection.BeginBinaryImport($"COPY {Vectors}(chunk_id, embedding) FROM STDIN (FORMAT BINARY)");
            var next = 0;
            foreach (var vector in batch.SelectMany(d => d.Vectors!))
            {
                if (vector!.Length != dimensions)
                {
                    throw new SiftException($"collection '{Name}' holds {dimensions}-dimensional vectors; this batch brings {vector.Length}-dimensional ones");
                }

                vectors.StartRow();
                vectors.Write(ids[next++], NpgsqlDbType.Bigint);
                vectors.Write(new Vector(vector), "vector");
            }

            vectors.Complete();
        }

        Commit(transaction, BumpGeneration(connection, transaction));
    }

    public void Delete(IReadOnlyCollection<string> documentIds)
    {
        if (documentIds.Count == 0)
        {
            return;
        }

        using var connection = _data.OpenConnection();
        using var transaction = connection.BeginTransaction();
        var dimensions = LockRow(connection, transaction);
        Archive(connection, transaction, [.. documentIds], dimensions);
        using (var delete = Command(connection, transaction, "DELETE FROM sift_documents WHERE collection = $1 AND id = ANY($2)", _key, documentIds.ToArray()))
        {
            delete.ExecuteNonQuery();
        }

        Commit(transaction, BumpGeneration(connection, transaction));
    }

    public void RecordFileStamps(IReadOnlyList<(string DocumentId, string FileStamp)> stamps)
    {
        if (stamps.Count == 0)
        {
            return;
        }

        // Not a content change: the generation stays, so caches and indexes stay valid.
        using var connection = _data.OpenConnection();
        using var update = Command(connection, null, """
            UPDATE sift_documents d SET file_stamp = s.stamp
            FROM unnest($2::text[], $3::text[]) AS s(id, stamp)
            WHERE d.collection = $1 AND d.id = s.id
            """, _key, stamps.Select(s => s.DocumentId).ToArray(), stamps.Select(s => s.FileStamp).ToArray());
        update.ExecuteNonQuery();
    }

    /// <summary>
    /// Before documents are replaced or deleted: their revisions that a sealed version may hold (numbered at or below
    /// the last seal's) move to the archive with their chunks and vectors, keeping chunk ids, so the versions holding
    /// them read the same rows ever after. Revisions written since the last seal are held by none and simply go.
    /// </summary>
    private void Archive(NpgsqlConnection connection, NpgsqlTransaction transaction, string[] documentIds, int? dimensions)
    {
        if (ReadMeta(connection, transaction).GetValueOrDefault(SealedRevisionKey) is not { } text)
        {
            return;
        }

        var sealedRevision = long.Parse(text, CultureInfo.InvariantCulture);
        using (var documents = Command(connection, transaction, """
            INSERT INTO sift_archived_documents(rev, collection, id, source, title, content_hash, metadata, chunk_count, ingested_at)
            SELECT rev, collection, id, source, title, content_hash, metadata, chunk_count, ingested_at FROM sift_documents
            WHERE collection = $1 AND id = ANY($2) AND rev <= $3
            ON CONFLICT DO NOTHING
            """, _key, documentIds, sealedRevision))
        {
            documents.ExecuteNonQuery();
        }

        var (vector, join) = dimensions is null ? ("NULL::real[]", "") : ("v.embedding::real[]", $"LEFT JOIN {Vectors} v ON v.chunk_id = c.id");
        using var chunks = Command(connection, transaction, $"""
            INSERT INTO sift_archived_chunks(id, rev, document_id, ordinal, text, start_offset, end_offset, heading_path, page, content_hash, terms, embedding)
            SELECT c.id, d.rev, c.document_id, c.ordinal, c.text, c.start_offset, c.end_offset, c.heading_path, c.page, c.content_hash, c.terms, {vector}
            FROM sift_chunks c JOIN sift_documents d ON d.collection = c.collection AND d.id = c.document_id {join}
            WHERE d.collection = $1 AND d.id = ANY($2) AND d.rev <= $3
            ON CONFLICT DO NOTHING
            """, _key, documentIds, sealedRevision);
        chunks.ExecuteNonQuery();
    }

    /// <summary>Creates the collection's vector table on its first vectors; refuses vectors of another dimension later.</summary>
    private int EnsureVectorTable(NpgsqlConnection connection, NpgsqlTransaction transaction, int? dimensions, int length)
    {
        if (dimensions is { } existing)
        {
            return existing == length
                ? existing
                : throw new SiftException($"collection '{Name}' holds {existing}-dimensional vectors; this batch brings {length}-dimensional ones");
        }

        if (length > MaxIndexedDimensions)
        {
            throw new SiftException($"collection '{Name}': pgvector indexes vectors of up to {MaxIndexedDimensions} dimensions; this embedder makes {length}");
        }

        Execute(connection, transaction, $"""
            CREATE TABLE IF NOT EXISTS {Vectors}(
                chunk_id bigint PRIMARY KEY REFERENCES sift_chunks(id) ON DELETE CASCADE,
                embedding vector({length.ToString(CultureInfo.InvariantCulture)}) NOT NULL)
            """);
        using var record = Command(connection, transaction, "UPDATE sift_collections SET dimensions = $2 WHERE key = $1", _key, length);
        record.ExecuteNonQuery();
        return length;
    }

    /// <summary>pgvector's HNSW limit for the vector type.</summary>
    private const int MaxIndexedDimensions = 2000;

    private static long[] NewChunkIds(NpgsqlConnection connection, NpgsqlTransaction transaction, int count)
    {
        using var command = Command(connection, transaction, "SELECT nextval(pg_get_serial_sequence('sift_chunks', 'id')) FROM generate_series(1, $1)", count);
        using var reader = command.ExecuteReader();
        var ids = new List<long>(count);
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }

        ids.Sort();
        return [.. ids];
    }

    private static void WriteOrNull<T>(NpgsqlBinaryImporter importer, T? value, NpgsqlDbType type)
        where T : class
    {
        if (value is null)
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(value, type);
        }
    }
}
