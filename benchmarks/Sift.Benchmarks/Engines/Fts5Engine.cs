using Microsoft.Data.Sqlite;
using Sift.Index.Analysis;

namespace Sift.Benchmarks.Engines;

/// <summary>
/// SQLite FTS5 with its built-in bm25() (k1 = 1.2, b = 0.75, fixed). Either its own tokenizer ("porter unicode61":
/// Porter stemming, no stopwords) on raw text, or pre-analyzed with Sift's English analyzer, to separate the effect
/// of the engine from the effect of analysis. Searches may run on several threads at once (quality evaluation does), so
/// each thread searches through a connection of its own, kept open (with its page cache) for the engine's life: a
/// SqliteConnection is not thread-safe, and sharing one crashed 2 of 8 runs.
/// </summary>
internal sealed class Fts5Engine(string folder, bool preAnalyzed) : ILexicalEngine
{
    private readonly EnglishTextAnalyzer _analyzer = new();
    private SqliteConnection? _connection;
    private ThreadLocal<SqliteConnection>? _searchConnections;

    public string Name => preAnalyzed ? "SQLite FTS5 bm25() on Sift-analyzed terms" : "SQLite FTS5 bm25(), porter tokenizer";

    public long DiskBytes => System.IO.Directory.EnumerateFiles(folder).Sum(f => new FileInfo(f).Length);

    public void Build(IReadOnlyList<CorpusRecord> corpus)
    {
        System.IO.Directory.CreateDirectory(folder);
        _connection = new SqliteConnection($"Data Source={Path.Combine(folder, "fts.db")}");
        _connection.Open();
        Execute(preAnalyzed
            ? "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, contents, tokenize = 'unicode61')"
            : "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, contents, tokenize = 'porter unicode61')");
        using var transaction = _connection.BeginTransaction();
        using var insert = _connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO docs(id, contents) VALUES ($id, $contents)";
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        var contents = insert.Parameters.Add("$contents", SqliteType.Text);
        foreach (var record in corpus)
        {
            id.Value = record.Id;
            contents.Value = Prepare(record.Title + "\n" + record.Text);
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
        var connectionString = _connection.ConnectionString;
        _searchConnections = new ThreadLocal<SqliteConnection>(
            () =>
            {
                var connection = new SqliteConnection(connectionString);
                connection.Open();
                return connection;
            },
            trackAllValues: true);
    }

    public IReadOnlyList<(string DocumentId, double Score)> Search(string query, int k)
    {
        var terms = Prepare(query).Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(t => "\"" + t.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"")
            .Distinct()
            .ToList();
        if (terms.Count == 0)
        {
            return [];
        }

        using var command = _searchConnections!.Value!.CreateCommand();
        command.CommandText = "SELECT id, -bm25(docs) FROM docs WHERE docs MATCH $q ORDER BY bm25(docs) LIMIT $k";
        command.Parameters.AddWithValue("$q", string.Join(" OR ", terms));
        command.Parameters.AddWithValue("$k", k);
        using var reader = command.ExecuteReader();
        var results = new List<(string, double)>();
        while (reader.Read())
        {
            results.Add((reader.GetString(0), reader.GetDouble(1)));
        }

        return results;
    }

    private string Prepare(string text) =>
        preAnalyzed
            ? string.Join(' ', _analyzer.Analyze(text).Select(t => t.Term))
            : string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private void Execute(string sql)
    {
        using var command = _connection!.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        foreach (var connection in _searchConnections?.Values ?? [])
        {
            connection.Dispose();
        }

        _searchConnections?.Dispose();
        _connection?.Dispose();
        _analyzer.Dispose();
    }
}
