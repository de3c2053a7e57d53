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
/// Every answer Sift gave, with its flags, cost and the feedback it received, in one SQLite file in the store
/// (<c>answers.db</c>). It is what <c>sift eval mine</c> turns into test cases. Questions can be stored redacted, and
/// entries older than a retention period are pruned.
/// </summary>
public sealed class AnswerLog : IDisposable
{
    public const string FileName = "answers.db";

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();

    public AnswerLog(string storeRoot)
    {
        Directory.CreateDirectory(storeRoot);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(storeRoot, FileName), Pooling = false }.ToString());
        _connection.Open();
        Execute("""
            PRAGMA journal_mode=WAL;
            PRAGMA busy_timeout=5000;
            CREATE TABLE IF NOT EXISTS answers (
                id TEXT PRIMARY KEY, at TEXT NOT NULL, collection TEXT NOT NULL, generation INTEGER NOT NULL,
                question TEXT, answer TEXT NOT NULL, flags TEXT NOT NULL, documents TEXT NOT NULL,
                latency_ms REAL NOT NULL, tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL, cost TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS feedback (
                answer_id TEXT NOT NULL REFERENCES answers(id) ON DELETE CASCADE, at TEXT NOT NULL, rating INTEGER NOT NULL, comment TEXT);
            CREATE INDEX IF NOT EXISTS answers_at ON answers(at);
            """);
    }

    /// <summary>Logs an answer and returns its id.</summary>
    public string Record(AnswerRecord record, string collection, long generation, bool redactQuestion = false)
    {
        var id = Guid.CreateVersion7().ToString("N");
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                INSERT INTO answers (id, at, collection, generation, question, answer, flags, documents, latency_ms, tokens_in, tokens_out, cost)
                VALUES ($id, $at, $collection, $generation, $question, $answer, $flags, $documents, $latency, $in, $out, $cost)
                """;
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O"));
            command.Parameters.AddWithValue("$collection", collection);
            command.Parameters.AddWithValue("$generation", generation);
            command.Parameters.AddWithValue("$question", redactQuestion ? DBNull.Value : record.Question);
            command.Parameters.AddWithValue("$answer", record.Answer);
            command.Parameters.AddWithValue("$flags", JsonSerializer.Serialize(record.Flags));
            command.Parameters.AddWithValue("$documents", JsonSerializer.Serialize(record.Retrieved.Select(r => r.DocumentId).Distinct()));
            command.Parameters.AddWithValue("$latency", record.TimingsMs.Values.Sum());
            command.Parameters.AddWithValue("$in", record.TokensIn);
            command.Parameters.AddWithValue("$out", record.TokensOut);
            command.Parameters.AddWithValue("$cost", record.EstimatedCost.ToString(System.Globalization.CultureInfo.InvariantCulture));
            command.ExecuteNonQuery();
        }

        return id;
    }

    public void AddFeedback(string answerId, int rating, string? comment)
    {
        if (rating is not (1 or -1))
        {
            throw new SiftException($"feedback rating must be +1 or -1 (got {rating})");
        }

        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "INSERT INTO feedback (answer_id, at, rating, comment) SELECT id, $at, $rating, $comment FROM answers WHERE id = $id";
            command.Parameters.AddWithValue("$id", answerId);
            command.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O"));
            command.Parameters.AddWithValue("$rating", rating);
            command.Parameters.AddWithValue("$comment", (object?)comment ?? DBNull.Value);
            if (command.ExecuteNonQuery() == 0)
            {
                throw new SiftException($"no logged answer has id '{answerId}'");
            }
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
                command.CommandText = "SELECT id, at, collection, generation, question, answer, flags, documents, latency_ms, tokens_in, tokens_out, cost FROM answers WHERE at >= $since ORDER BY at, id";
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

    /// <summary>Deletes answers (and their feedback) older than the retention period; returns how many.</summary>
    public int Prune(TimeSpan retention)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            using var feedback = _connection.CreateCommand();
            feedback.CommandText = "DELETE FROM feedback WHERE answer_id IN (SELECT id FROM answers WHERE at < $cutoff)";
            feedback.Parameters.AddWithValue("$cutoff", (DateTimeOffset.UtcNow - retention).ToString("O"));
            feedback.ExecuteNonQuery();
            using var answers = _connection.CreateCommand();
            answers.CommandText = "DELETE FROM answers WHERE at < $cutoff";
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
