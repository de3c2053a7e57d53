using System.Text.Json;
using Microsoft.Data.Sqlite;
using Sift.Core;

namespace Sift.Generation.Logging;

/// <summary>A logged answer with its feedback; <see cref="Question"/> is null when it was stored redacted.</summary>
public sealed record LoggedAnswer(
    string Id, DateTimeOffset At, string Collection, long Generation, string? Question, string Answer, AnswerFlags Flags,
    double LatencyMs, int TokensIn, int TokensOut, decimal Cost, IReadOnlyList<string> Documents, IReadOnlyList<AnswerFeedback> Feedback);

/// <param name="Rating">+1 (helpful) or -1 (not helpful).</param>
public sealed record AnswerFeedback(DateTimeOffset At, int Rating, string? Comment);

/// <summary>
/// The query log: every search and answer Sift served, with the collection version, results, latency, tokens, cost,
/// flags, the caller (API key id) and the feedback answers received, in one SQLite file in the store
/// (<c>querylog.db</c>). <c>sift eval mine</c> turns the bad answers into test cases. Query text can be stored
/// redacted, and entries older than a retention period are pruned.
/// </summary>
public sealed class QueryLog : IDisposable
{
    public const string FileName = "querylog.db";

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();

    public QueryLog(string storeRoot)
    {
        Directory.CreateDirectory(storeRoot);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(storeRoot, FileName), Pooling = false }.ToString());
        _connection.Open();
        Execute("""
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=NORMAL;
            PRAGMA busy_timeout=5000;
            CREATE TABLE IF NOT EXISTS queries (
                id TEXT PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, collection TEXT NOT NULL, generation INTEGER NOT NULL,
                caller TEXT, question TEXT, answer TEXT, flags TEXT, documents TEXT NOT NULL,
                latency_ms REAL NOT NULL, tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL, cost TEXT NOT NULL, cached INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS feedback (
                answer_id TEXT NOT NULL REFERENCES queries(id), at TEXT NOT NULL, rating INTEGER NOT NULL, comment TEXT);
            CREATE INDEX IF NOT EXISTS queries_at ON queries(at);
            """);
    }

    /// <summary>Logs an answer and returns its id (the id feedback refers to).</summary>
    /// <param name="caller">Who asked (an API key id); only they may give feedback on it. Null from the CLI.</param>
    public string RecordAnswer(AnswerRecord record, string collection, long generation, string? caller = null, bool redact = false, bool cached = false) =>
        Insert(
            "ask", collection, generation, caller, redact ? null : record.Question, record.Answer, JsonSerializer.Serialize(record.Flags),
            record.Retrieved.Select(r => r.DocumentId).Distinct(), cached ? 0 : record.TimingsMs.Values.Sum(), record.TokensIn, record.TokensOut, record.EstimatedCost, cached);

    /// <summary>Logs a search and returns its id.</summary>
    public string RecordSearch(string query, string collection, long generation, IEnumerable<string> documents, double latencyMs, string? caller = null, bool redact = false, bool cached = false) =>
        Insert("search", collection, generation, caller, redact ? null : query, null, null, documents.Distinct(), latencyMs, 0, 0, 0m, cached);

    private string Insert(
        string kind, string collection, long generation, string? caller, string? question, string? answer, string? flags,
        IEnumerable<string> documents, double latencyMs, int tokensIn, int tokensOut, decimal cost, bool cached)
    {
        var id = Guid.CreateVersion7().ToString("N");
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                INSERT INTO queries (id, at, kind, collection, generation, caller, question, answer, flags, documents, latency_ms, tokens_in, tokens_out, cost, cached)
                VALUES ($id, $at, $kind, $collection, $generation, $caller, $question, $answer, $flags, $documents, $latency, $in, $out, $cost, $cached)
                """;
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O"));
            command.Parameters.AddWithValue("$kind", kind);
            command.Parameters.AddWithValue("$collection", collection);
            command.Parameters.AddWithValue("$generation", generation);
            command.Parameters.AddWithValue("$caller", (object?)caller ?? DBNull.Value);
            command.Parameters.AddWithValue("$question", (object?)question ?? DBNull.Value);
            command.Parameters.AddWithValue("$answer", (object?)answer ?? DBNull.Value);
            command.Parameters.AddWithValue("$flags", (object?)flags ?? DBNull.Value);
            command.Parameters.AddWithValue("$documents", JsonSerializer.Serialize(documents));
            command.Parameters.AddWithValue("$latency", latencyMs);
            command.Parameters.AddWithValue("$in", tokensIn);
            command.Parameters.AddWithValue("$out", tokensOut);
            command.Parameters.AddWithValue("$cost", cost.ToString(System.Globalization.CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$cached", cached ? 1 : 0);
            command.ExecuteNonQuery();
        }

        return id;
    }

    /// <summary>Records feedback on an answer; with a caller, only on that caller's own answers (others are "not found").</summary>
    public void AddFeedback(string answerId, int rating, string? comment, string? caller = null)
    {
        if (rating is not (1 or -1))
        {
            throw new SiftException($"feedback rating must be +1 or -1 (got {rating})");
        }

        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                INSERT INTO feedback (answer_id, at, rating, comment)
                SELECT id, $at, $rating, $comment FROM queries WHERE id = $id AND kind = 'ask' AND ($caller IS NULL OR caller = $caller)
                """;
            command.Parameters.AddWithValue("$id", answerId);
            command.Parameters.AddWithValue("$caller", (object?)caller ?? DBNull.Value);
            command.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O"));
            command.Parameters.AddWithValue("$rating", rating);
            command.Parameters.AddWithValue("$comment", (object?)comment ?? DBNull.Value);
            if (command.ExecuteNonQuery() == 0)
            {
                throw new SiftException($"no logged answer has id '{answerId}'");
            }
        }
    }

    /// <summary>How many entries the log holds (searches and answers).</summary>
    public long Count()
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM queries";
            return (long)command.ExecuteScalar()!;
        }
    }

    /// <summary>Answers logged since <paramref name="since"/> (all when null), oldest first, with their feedback.</summary>
    public IReadOnlyList<LoggedAnswer> Read(DateTimeOffset? since = null)
    {
        lock (_gate)
        {
            var feedback = new Dictionary<string, List<AnswerFeedback>>(StringComparer.Ordinal);
            using (var command = _connection.CreateCommand())
            {
                command.CommandText = "SELECT answer_id, at, rating, comment FROM feedback ORDER BY at";
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    var list = feedback.TryGetValue(reader.GetString(0), out var found) ? found : feedback[reader.GetString(0)] = [];
                    list.Add(new AnswerFeedback(DateTimeOffset.Parse(reader.GetString(1), System.Globalization.CultureInfo.InvariantCulture), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
                }
            }

            var answers = new List<LoggedAnswer>();
            using (var command = _connection.CreateCommand())
            {
                command.CommandText = """
                    SELECT id, at, collection, generation, question, answer, flags, documents, latency_ms, tokens_in, tokens_out, cost
                    FROM queries WHERE kind = 'ask' AND at >= $since ORDER BY at, id
                    """;
                command.Parameters.AddWithValue("$since", (since ?? DateTimeOffset.MinValue).ToString("O"));
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    var id = reader.GetString(0);
                    answers.Add(new LoggedAnswer(
                        id,
                        DateTimeOffset.Parse(reader.GetString(1), System.Globalization.CultureInfo.InvariantCulture),
                        reader.GetString(2),
                        reader.GetInt64(3),
                        reader.IsDBNull(4) ? null : reader.GetString(4),
                        reader.GetString(5),
                        JsonSerializer.Deserialize<AnswerFlags>(reader.GetString(6))!,
                        reader.GetDouble(8),
                        reader.GetInt32(9),
                        reader.GetInt32(10),
                        decimal.Parse(reader.GetString(11), System.Globalization.CultureInfo.InvariantCulture),
                        JsonSerializer.Deserialize<List<string>>(reader.GetString(7))!,
                        feedback.GetValueOrDefault(id) ?? []));
                }
            }

            return answers;
        }
    }

    /// <summary>Deletes entries (and their feedback) older than the retention period; returns how many.</summary>
    public int Prune(TimeSpan retention)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            using var feedback = _connection.CreateCommand();
            feedback.CommandText = "DELETE FROM feedback WHERE answer_id IN (SELECT id FROM queries WHERE at < $cutoff)";
            feedback.Parameters.AddWithValue("$cutoff", (DateTimeOffset.UtcNow - retention).ToString("O"));
            feedback.ExecuteNonQuery();
            using var answers = _connection.CreateCommand();
            answers.CommandText = "DELETE FROM queries WHERE at < $cutoff";
            answers.Parameters.AddWithValue("$cutoff", (DateTimeOffset.UtcNow - retention).ToString("O"));
            var removed = answers.ExecuteNonQuery();
            transaction.Commit();
            return removed;
        }
    }

    public void Dispose() => _connection.Dispose();

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
