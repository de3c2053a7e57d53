using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Sift.Core.Storage;
using Sift.Evaluation.Beir;
using Sift.Index.Analysis;
using Sift.Ingest;
using Sift.Ingest.Chunking;
using Sift.Ingest.Loading;
using Sift.Postgres;

namespace Sift.Benchmarks;

/// <summary>
/// The measurement behind docs/decisions/0004: BM25 for a PostgreSQL store either in memory (built from the stored
/// terms when the generation moves; what Sift does) or in SQL over a postings table derived from the same terms.
/// Loads a BEIR corpus into a PostgreSQL store, builds both, runs every test query through each (same analysed terms,
/// same k1/b and IDF), and reports build time, p50/p99 latency and how many of the top 10 agree.
/// </summary>
internal static class SqlBm25Command
{
    public static async Task<int> Run(string address, string datasetFolder)
    {
        var data = BeirDataset.Load(datasetFolder);
        var analyzer = new EnglishTextAnalyzer();
        using var store = PostgresStore.Open(address, analyzer);
        var name = $"sqlbm25-{Guid.NewGuid().ToString("N")[..8]}";
        using var collection = store.OpenOrCreate(name);
        try
        {
            collection.UseEmbedder("none", null);
            await new IngestPipeline(LoaderRegistry.Default, new WholeDocumentChunker(), collection).RunAsync(new IngestRequest(data.CorpusPath!));

            var build = Stopwatch.StartNew();
            using var fresh = store.Open(name);
            var memory = fresh.LexicalIndex(Bm25Parameters.Default);
            build.Stop();
            var sqlBuild = Stopwatch.StartNew();
            await using var connection = new NpgsqlConnection(PostgresAddress.Parse(address).ConnectionString);
            await connection.OpenAsync();
            await Execute(connection, $"""
                CREATE TEMP TABLE postings AS
                    SELECT c.id AS chunk_id, t.term, COUNT(*)::int AS tf
                    FROM sift_chunks c JOIN sift_collections k ON k.key = c.collection, unnest(string_to_array(c.terms, ' ')) AS t(term)
                    WHERE k.name = '{name}' AND t.term <> '' GROUP BY c.id, t.term;
                CREATE INDEX ON postings(term) INCLUDE (chunk_id, tf);
                CREATE TEMP TABLE lengths AS SELECT chunk_id, SUM(tf)::int AS length FROM postings GROUP BY chunk_id;
                CREATE UNIQUE INDEX ON lengths(chunk_id) INCLUDE (length);
                ANALYZE postings; ANALYZE lengths;
                """);
            sqlBuild.Stop();
            var (count, average) = await Stats(connection);
            var parameters = Bm25Parameters.Default;
            var sql = string.Create(CultureInfo.InvariantCulture, $"""
                WITH q AS (SELECT term, COUNT(*) AS weight FROM unnest($1::text[]) AS term GROUP BY term),
                     df AS (SELECT p.term, COUNT(*) AS df FROM postings p JOIN q USING (term) GROUP BY p.term)
                SELECT p.chunk_id, SUM(q.weight * ln(1 + ({count} - df.df + 0.5) / (df.df + 0.5)) * p.tf * {parameters.K1 + 1}
                                       / (p.tf + {parameters.K1} * (1 - {parameters.B} + {parameters.B} * l.length / {average}))) AS score
                FROM postings p JOIN q USING (term) JOIN df USING (term) JOIN lengths l USING (chunk_id)
                GROUP BY p.chunk_id ORDER BY score DESC, p.chunk_id LIMIT 10
                """);

            var queries = data.Queries.Values.Select(q => analyzer.Analyze(q).Select(t => t.Term).ToArray()).ToList();
            var memoryTimes = new List<double>();
            var sqlTimes = new List<double>();
            double agreement = 0;
            for (var pass = 0; pass < 2; pass++)
            {
                // The first pass warms both (JIT, PostgreSQL's caches); the second is measured.
                memoryTimes.Clear();
                sqlTimes.Clear();
                agreement = 0;
                foreach (var terms in queries)
                {
                    var started = Stopwatch.GetTimestamp();
                    var inMemory = fresh.LexicalIndex(Bm25Parameters.Default).Search(terms, 10, null);
                    memoryTimes.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    started = Stopwatch.GetTimestamp();
                    var inSql = await Query(connection, sql, terms);
                    sqlTimes.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    agreement += inMemory.Count == 0 ? 1 : inMemory.Count(h => inSql.Contains(h.ChunkId)) / (double)inMemory.Count;
                }
            }

            Console.WriteLine($"{data.Name}: {count:N0} chunks, {queries.Count:N0} queries");
            Console.WriteLine($"in memory: build {build.Elapsed.TotalMilliseconds:N0} ms (read the stored terms, index them); p50 {Percentile(memoryTimes, 0.5):0.000} ms, p99 {Percentile(memoryTimes, 0.99):0.000} ms per query (plus one generation check)");
            Console.WriteLine($"in SQL:    build {sqlBuild.Elapsed.TotalMilliseconds:N0} ms (postings table and index); p50 {Percentile(sqlTimes, 0.5):0.000} ms, p99 {Percentile(sqlTimes, 0.99):0.000} ms per query");
            Console.WriteLine($"top-10 agreement: {agreement / queries.Count:0.0000}; memory for the in-memory index: about {GC.GetTotalMemory(true) / 1048576.0:N0} MB of managed heap in this process");
            return 0;
        }
        finally
        {
            store.Delete(name);
        }
    }

    private static async Task<(long Count, double Average)> Stats(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT COUNT(*), AVG(length)::float8 FROM lengths", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetDouble(1));
    }

    private static async Task<HashSet<long>> Query(NpgsqlConnection connection, string sql, string[] terms)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue(terms);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new HashSet<long>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
    }
}
