using System.Globalization;
using System.Text;
using Npgsql;
using Pgvector;
using Sift.Core;
using Sift.Core.Filtering;
using Sift.Core.Storage;
using Sift.Index.Lexical;
using Sift.Index.Storage;

namespace Sift.Postgres;

public sealed partial class PostgresCollection
{
    /// <summary>
    /// BM25 over the current generation, built in this process from the stored terms (the embedded store's code, so
    /// scores and order are identical) and kept until the generation moves. Decision and measurements:
    /// docs/decisions/0007-postgres-lexical-index.md.
    /// </summary>
    public ILexicalIndex LexicalIndex(Bm25Parameters parameters)
    {
        lock (_indexLock)
        {
            var generation = Generation;
            if (_lexical is { } current && current.Generation == generation)
            {
                return current.Parameters == parameters
                    ? current
                    : _lexical = current with { Parameters = parameters, Index = new Bm25Index(current.Index.Postings, parameters, current.Access.PartitionOfSlot) };
            }

            _lexical = LoadLexical(parameters);
            return _lexical;
        }
    }

    private LexicalSnapshot LoadLexical(Bm25Parameters parameters)
    {
        using var connection = _data.OpenConnection();
        // One snapshot of the database: the generation recorded is exactly the content read.
        using var transaction = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        var generation = ReadGeneration(connection, transaction);
        var documents = new Dictionary<string, (IReadOnlyDictionary<string, string> Metadata, string ContentHash)>(StringComparer.Ordinal);
        var parsed = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        using (var command = Command(connection, transaction, "SELECT id, metadata::text, content_hash FROM sift_documents WHERE collection = $1", _key))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var text = reader.GetString(1);
                if (!parsed.TryGetValue(text, out var metadata))
                {
                    metadata = parsed[text] = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(text)!;
                }

                documents[reader.GetString(0)] = (metadata, reader.GetString(2));
            }
        }

        using var rows = Command(connection, transaction,
            "SELECT id, document_id, terms FROM sift_chunks WHERE collection = $1 ORDER BY document_id COLLATE \"C\", ordinal", _key);
        using var chunks = rows.ExecuteReader();
        return LexicalSnapshot.Build(generation, parameters, Rows(chunks), documents);

        static IEnumerable<(long, string, string)> Rows(NpgsqlDataReader reader)
        {
            while (reader.Read())
            {
                yield return (reader.GetInt64(0), reader.GetString(1), reader.GetString(2));
            }
        }
    }

    public IDenseIndex DenseIndex()
    {
        if (_embedder is null)
        {
            throw new SiftException($"collection '{Name}' has no embedder, so it has no vectors to search: search it in mode bm25");
        }

        var settings = Settings;
        return new PostgresDenseIndex(this, Generation, settings.EfSearch);
    }

    /// <summary>Builds the HNSW index from the collection's settings when there are vectors and it is missing.</summary>
    private void EnsureVectorIndex()
    {
        if (!HasVectorTable())
        {
            return;
        }

        var settings = Settings;
        using var connection = _data.OpenConnection();
        try
        {
            Execute(connection, null, string.Create(CultureInfo.InvariantCulture,
                $"CREATE INDEX IF NOT EXISTS {Vectors}_hnsw ON {Vectors} USING hnsw (embedding vector_cosine_ops) WITH (m = {settings.M}, ef_construction = {settings.EfConstruction})"));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Another server built the same index at the same moment: theirs stands.
        }
    }

    /// <summary>
    /// Nearest chunks by cosine similarity, in SQL: the metadata filter and the caller's access list are conditions of
    /// the same query, and pgvector's iterative index scan keeps reading the graph until k rows pass them, so a
    /// selective filter still fills the page. <c>exact</c> scans every vector (for small collections and recall checks).
    /// </summary>
    internal IReadOnlyList<ChunkScore> SearchVectors(float[] vector, int k, MetadataFilter? filter, int efSearch, bool exact)
    {
        if (!HasVectorTable())
        {
            return [];
        }

        // One round trip. The graph search's settings are set on the session before each query (every vector
        // search sets them, nothing else reads them); the exact scan orders by an expression the index cannot
        // serve, so PostgreSQL scans, and breaks ties by the stable key.
        var sql = new StringBuilder($"""
            SELECT v.chunk_id, c.document_id, 1 - (v.embedding <=> $1) AS similarity
            FROM {Vectors} v
            JOIN sift_chunks c ON c.id = v.chunk_id
            JOIN sift_documents d ON d.collection = c.collection AND d.id = c.document_id
            WHERE TRUE
            """);
        using var connection = _data.OpenConnection();
        using var batch = new NpgsqlBatch(connection);
        if (!exact)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(string.Create(CultureInfo.InvariantCulture, $"SET hnsw.ef_search = {Math.Clamp(efSearch, 1, 1000)}")));
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SET hnsw.iterative_scan = strict_order"));
        }

        var query = new NpgsqlBatchCommand();
        query.Parameters.Add(new NpgsqlParameter { Value = new Vector(vector) });
        query.Parameters.Add(new NpgsqlParameter { Value = k });
        AppendFilter(sql, query.Parameters, filter);
        sql.Append(exact
            ? " ORDER BY (v.embedding <=> $1) + 0, c.document_id COLLATE \"C\", c.id LIMIT $2"
            : " ORDER BY v.embedding <=> $1 LIMIT $2");
        query.CommandText = sql.ToString();
        batch.BatchCommands.Add(query);
        var scores = new List<ChunkScore>(k);
        using (var reader = batch.ExecuteReader())
        {
            do
            {
                while (reader.FieldCount > 0 && reader.Read())
                {
                    scores.Add(new ChunkScore(reader.GetInt64(0), reader.GetString(1), reader.GetDouble(2)));
                }
            }
            while (reader.NextResult());
        }

        scores.Sort(ChunkScore.BestFirst);
        return scores;
    }

    public IReadOnlyList<float[]?> GetVectors(IReadOnlyList<long> chunkIds)
    {
        if (chunkIds.Count == 0 || !HasVectorTable())
        {
            return [.. chunkIds.Select(_ => (float[]?)null)];
        }

        using var connection = _data.OpenConnection();
        using var command = Command(connection, null, $"SELECT chunk_id, embedding FROM {Vectors} WHERE chunk_id = ANY($1)", chunkIds.ToArray());
        using var reader = command.ExecuteReader();
        var byId = new Dictionary<long, float[]>();
        while (reader.Read())
        {
            byId[reader.GetInt64(0)] = reader.GetFieldValue<Vector>(1).ToArray();
        }

        return [.. chunkIds.Select(id => byId.GetValueOrDefault(id))];
    }

    private bool _hasVectorTable;

    /// <summary>Whether the collection has had vectors (checked until it has: a table, once made, stays).</summary>
    private bool HasVectorTable()
    {
        if (!_hasVectorTable)
        {
            using var connection = _data.OpenConnection();
            using var present = Command(connection, null, "SELECT to_regclass($1) IS NOT NULL", Vectors);
            _hasVectorTable = (bool)present.ExecuteScalar()!;
        }

        return _hasVectorTable;
    }

    /// <summary>The filter as SQL conditions on the document row <c>d</c>: access list first, then each metadata key.</summary>
    private static void AppendFilter(StringBuilder sql, NpgsqlParameterCollection parameters, MetadataFilter? filter)
    {
        if (filter?.Access is { } access)
        {
            parameters.Add(new NpgsqlParameter { Value = access.Principals.ToArray() });
            sql.Append(CultureInfo.InvariantCulture, $" AND (d.acl IS NULL OR d.acl && ${parameters.Count}::text[])");
        }

        foreach (var (key, values) in filter?.Conditions ?? new Dictionary<string, HashSet<string>>())
        {
            parameters.Add(new NpgsqlParameter { Value = key });
            parameters.Add(new NpgsqlParameter { Value = values.ToArray() });
            sql.Append(CultureInfo.InvariantCulture, $" AND d.metadata ->> ${parameters.Count - 1} = ANY(${parameters.Count}::text[])");
        }
    }

    /// <summary>The vector side of one generation: searches run in the database, under this collection's key.</summary>
    private sealed class PostgresDenseIndex(PostgresCollection collection, long generation, int efSearch) : IDenseIndex
    {
        public long Generation => generation;

        public int EfSearch => efSearch;

        public IReadOnlyList<ChunkScore> Search(float[] vector, int k, MetadataFilter? filter, int? efSearch, bool exact)
        {
            var found = collection.SearchVectors(vector, k, filter, efSearch ?? EfSearch, exact);
            // pgvector's iterative scan gives up after hnsw.max_scan_tuples (20,000) rows: a filter that lets few
            // chunks through can come back short. Scan exactly then, as the embedded index does.
            return !exact && found.Count < k && filter is { IsEmpty: false } ? collection.SearchVectors(vector, k, filter, efSearch ?? EfSearch, exact: true) : found;
        }
    }
}
