using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Core.Storage;

namespace Sift.Index.Storage;

public sealed partial class Collection
{
    /// <summary>Indexes built for versions other than the working state, newest use last; a few are kept.</summary>
    private readonly List<(long Version, LexicalSnapshot Lexical, Lazy<IDenseIndex> Dense)> _versionIndexes = [];

    private const int VersionIndexesKept = 4;

    /// <summary>
    /// One sealed version, read-only. While the working state is still exactly this version (its generation is the
    /// version's), searches use the collection's own index files; otherwise the version's BM25 index is built from its
    /// rows (kept for the next request) and its vectors are searched exactly, so a version answers the same whatever
    /// was written after it.
    /// </summary>
    private sealed class VersionView(Collection collection, VersionRecord version, long[] revisions) : IChunkStore
    {
        private const string DocumentColumns = "id, source, title, content_hash, metadata, chunk_count, ingested_at";
        private readonly string _revisions = JsonSerializer.Serialize(revisions);

        public string Name => collection.Name;

        public string Location => $"{collection.Folder} (version {version.Id})";

        public bool IsReadOnly => true;

        public long Generation => version.Generation;

        public CollectionSettings Settings => version.Settings;

        public string ChunkerFingerprint => version.Chunker;

        public IReadOnlyList<string> SourceRoots => collection.SourceRoots;

        public string? EmbedderSpec => collection.EmbedderSpec;

        public IEmbeddingGenerator<string, Embedding<float>>? Embedder => collection.Embedder;

        public IVersionCatalog? Versions => null;

        public void Configure(CollectionSettings settings) => throw ReadOnly();

        public void AddSourceRoot(string folder) => throw ReadOnly();

        public void UseEmbedder(string spec, IEmbeddingGenerator<string, Embedding<float>>? embedder) => collection.UseEmbedder(spec, embedder);

        public CollectionInfo Info()
        {
            var head = collection.Info();
            return head with { Documents = version.Documents, Chunks = version.Chunks, Generation = version.Generation, Chunker = version.Chunker };
        }

        public IReadOnlyList<DocumentRecord> Documents(MetadataFilter? filter = null)
        {
            using var connection = collection.Connect();
            using var command = Command(connection, null, $"""
                SELECT {DocumentColumns} FROM documents WHERE rev IN (SELECT value FROM json_each($revs))
                UNION ALL
                SELECT {DocumentColumns} FROM archived_documents WHERE rev IN (SELECT value FROM json_each($revs))
                ORDER BY 1
                """, "$revs");
            command.Parameters[0].Value = _revisions;
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

        public (DocumentRecord Document, IReadOnlyList<StoredChunk> Chunks)? Document(string id)
        {
            using var connection = collection.Connect();
            using var command = Command(connection, null, $"""
                SELECT {DocumentColumns}, rev, 0 FROM documents WHERE id = $id AND rev IN (SELECT value FROM json_each($revs))
                UNION ALL
                SELECT {DocumentColumns}, rev, 1 FROM archived_documents WHERE id = $id AND rev IN (SELECT value FROM json_each($revs))
                """, "$id", "$revs");
            command.Parameters[0].Value = id;
            command.Parameters[1].Value = _revisions;
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
            var ids = new List<long>();
            while (rows.Read())
            {
                ids.Add(rows.GetInt64(0));
            }

            return (document, GetChunks(ids));
        }

        public IReadOnlyList<StoredChunk> GetChunks(IReadOnlyList<long> chunkIds)
        {
            using var connection = collection.Connect();
            using var command = Command(connection, null, """
                SELECT c.id, c.document_id, d.source, d.title, c.text, c.start_offset, c.end_offset, c.heading_path, c.page
                FROM chunks c JOIN documents d ON d.id = c.document_id
                WHERE c.id IN (SELECT value FROM json_each($ids)) AND d.rev IN (SELECT value FROM json_each($revs))
                UNION ALL
                SELECT c.id, c.document_id, d.source, d.title, c.text, c.start_offset, c.end_offset, c.heading_path, c.page
                FROM archived_chunks c JOIN archived_documents d ON d.rev = c.rev
                WHERE c.id IN (SELECT value FROM json_each($ids)) AND c.rev IN (SELECT value FROM json_each($revs))
                """, "$ids", "$revs");
            command.Parameters[0].Value = JsonSerializer.Serialize(chunkIds);
            command.Parameters[1].Value = _revisions;
            using var reader = command.ExecuteReader();
            return StoredRows.ChunksInOrder(reader, chunkIds);
        }

        public IReadOnlyList<long> ChunkIds() => [.. Rows(connection => LexicalRowsOf(connection)).Select(r => r.ChunkId).Order()];

        public IReadOnlyList<float[]?> GetVectors(IReadOnlyList<long> chunkIds)
        {
            var byId = Vectors().ToDictionary(v => v.ChunkId, v => v.Vector);
            return [.. chunkIds.Select(id => byId.GetValueOrDefault(id))];
        }

        public IReadOnlyDictionary<string, StoredDocumentState> ListDocuments() =>
            Documents().ToDictionary(
                d => d.Id,
                d => new StoredDocumentState(d.Id, d.Source, d.ContentHash, d.Metadata.GetValueOrDefault(AccessScope.MetadataKey)),
                StringComparer.Ordinal);

        public void Write(IReadOnlyList<DocumentChunks> batch) => throw ReadOnly();

        public void Delete(IReadOnlyCollection<string> documentIds) => throw ReadOnly();

        public void RecordFileStamps(IReadOnlyList<(string DocumentId, string FileStamp)> stamps) => throw ReadOnly();

        public void FinishIngest(string chunkerFingerprint) => throw ReadOnly();

        public void RefreshIndexes() => LexicalIndex(Bm25Parameters.Default);

        public ILexicalIndex LexicalIndex(Bm25Parameters parameters)
        {
            if (collection.Generation == version.Generation && collection.LexicalIndex(parameters) is { } head && head.Generation == version.Generation)
            {
                return head;
            }

            var lexical = Built().Lexical;
            return lexical.Parameters == parameters
                ? lexical
                : lexical with { Parameters = parameters, Index = new Lexical.Bm25Index(lexical.Index.Postings, parameters, lexical.Access.PartitionOfSlot) };
        }

        public IDenseIndex DenseIndex()
        {
            if (collection.Embedder is null)
            {
                throw new SiftException($"collection '{Name}' has no embedder, so it has no vectors to search: search it in mode bm25");
            }

            if (collection.Generation == version.Generation && collection.DenseIndex() is { } head && head.Generation == version.Generation)
            {
                return head;
            }

            return Built().Dense.Value;
        }

        public void Dispose()
        {
            // The view borrows the collection's connections; closing them is the collection's business.
        }

        private (long Version, LexicalSnapshot Lexical, Lazy<IDenseIndex> Dense) Built()
        {
            lock (collection._versionIndexes)
            {
                var cached = collection._versionIndexes.FindIndex(v => v.Version == version.Id);
                if (cached >= 0)
                {
                    var hit = collection._versionIndexes[cached];
                    collection._versionIndexes.RemoveAt(cached);
                    collection._versionIndexes.Add(hit);
                    return hit;
                }
            }

            var documents = Documents().ToDictionary(
                d => d.Id, d => (d.Metadata, d.ContentHash), StringComparer.Ordinal);
            var lexical = LexicalSnapshot.Build(version.Generation, Bm25Parameters.Default, Rows(LexicalRowsOf), documents);
            var metadata = documents.ToDictionary(d => d.Key, d => d.Value.Metadata, StringComparer.Ordinal);
            var entry = (version.Id, lexical, new Lazy<IDenseIndex>(() => new ExactDenseIndex(version.Generation, Vectors(), lexical, metadata, version.Settings.EfSearch)));
            lock (collection._versionIndexes)
            {
                collection._versionIndexes.RemoveAll(v => v.Version == version.Id);
                collection._versionIndexes.Add(entry);
                if (collection._versionIndexes.Count > VersionIndexesKept)
                {
                    collection._versionIndexes.RemoveAt(0);
                }
            }

            return entry;
        }

        private T Rows<T>(Func<SqliteConnection, T> read)
        {
            using var connection = collection.Connect();
            return read(connection);
        }

        private List<(long ChunkId, string DocumentId, string Terms)> LexicalRowsOf(SqliteConnection connection)
        {
            using var command = Command(connection, null, """
                SELECT c.id, c.document_id, c.terms, c.ordinal FROM chunks c JOIN documents d ON d.id = c.document_id
                WHERE d.rev IN (SELECT value FROM json_each($revs))
                UNION ALL
                SELECT id, document_id, terms, ordinal FROM archived_chunks WHERE rev IN (SELECT value FROM json_each($revs))
                ORDER BY 2, 4
                """, "$revs");
            command.Parameters[0].Value = _revisions;
            using var reader = command.ExecuteReader();
            var rows = new List<(long, string, string)>();
            while (reader.Read())
            {
                rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
            }

            return rows;
        }

        private List<(long ChunkId, float[] Vector)> Vectors()
        {
            using var connection = collection.Connect();
            using var command = Command(connection, null, """
                SELECT e.chunk_id, e.vector FROM embeddings e JOIN chunks c ON c.id = e.chunk_id JOIN documents d ON d.id = c.document_id
                WHERE d.rev IN (SELECT value FROM json_each($revs))
                UNION ALL
                SELECT e.chunk_id, e.vector FROM archived_embeddings e JOIN archived_chunks c ON c.id = e.chunk_id
                WHERE c.rev IN (SELECT value FROM json_each($revs))
                ORDER BY 1
                """, "$revs");
            command.Parameters[0].Value = _revisions;
            using var reader = command.ExecuteReader();
            var vectors = new List<(long, float[])>();
            while (reader.Read())
            {
                vectors.Add((reader.GetInt64(0), FromBlob((byte[])reader.GetValue(1))));
            }

            return vectors;
        }

        private SiftException ReadOnly() =>
            new($"version {version.Id} of collection '{Name}' is read-only: write to the collection, which makes a new version");
    }
}
