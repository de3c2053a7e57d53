using System.Data;
using System.Data.Common;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Sift.Core;
using Sift.Core.Telemetry;

namespace Sift.Generation.Logging;

/// <summary>A logged answer with its feedback; <see cref="Question"/> is null when it was stored redacted.</summary>
public sealed record LoggedAnswer(
    string Id, DateTimeOffset At, string Collection, long Generation, string? Question, string Answer, AnswerFlags Flags,
    double LatencyMs, int TokensIn, int TokensOut, decimal Cost, IReadOnlyList<string> Documents, IReadOnlyList<AnswerFeedback> Feedback)
{
    /// <summary>The documents the answer cited (empty for an answer logged before citations were kept).</summary>
    public IReadOnlyList<string> Cited { get; init; } = [];
}

/// <summary>A logged search or answer as the drift monitor reads it; <see cref="Question"/> is null when stored redacted.</summary>
/// <param name="Abstained">Null for a search.</param>
public sealed record LoggedQuery(DateTimeOffset At, string Kind, string? Question, double LatencyMs, bool? Abstained, bool Cached);

/// <summary>What <see cref="QueryLog.Browse"/> reads: entries of these collections since a time, optionally one caller's, of one kind, containing a text, or with a flag set.</summary>
/// <param name="Flag">An <see cref="AnswerFlags"/> property that must be true, e.g. "Abstained".</param>
public sealed record LogFilter(IReadOnlyCollection<string> Collections, DateTimeOffset Since, string? Caller = null, string? Kind = null, string? Text = null, string? Flag = null, int Limit = 100);

/// <summary>A logged search ("search") or answer ("ask") as the console shows it; <see cref="Question"/> is null when stored redacted.</summary>
/// <param name="TopScore">The best retrieved passage's score (null for nothing found, or an entry logged before it was kept).</param>
/// <param name="Documents">The documents the results came from.</param>
public sealed record LogEntry(
    string Id, DateTimeOffset At, string Kind, string Collection, string? Caller, string? Question, string? Answer, AnswerFlags? Flags,
    double LatencyMs, decimal Cost, bool Cached, double? TopScore, IReadOnlyList<string> Documents, IReadOnlyList<AnswerFeedback> Feedback);

/// <summary>A logged entry's numbers (<see cref="QueryLog.Measure"/>); <see cref="Abstained"/> is null for a search.</summary>
public sealed record LogMeasure(DateTimeOffset At, string Kind, double LatencyMs, decimal Cost, bool Cached, double? TopScore, bool? Abstained, bool RatedDown);

/// <param name="Rating">+1 (helpful) or -1 (not helpful).</param>
public sealed record AnswerFeedback(DateTimeOffset At, int Rating, string? Comment);

/// <summary>
/// The query log: every search and answer Sift served, with the collection version, results, latency, tokens, cost,
/// flags, the caller (API key id) and the feedback answers received, in one SQLite file in the store
/// (<c>querylog.db</c>), or, for servers sharing a PostgreSQL store, in its database (<c>sift_queries</c>,
/// <c>sift_feedback</c>), so feedback may reach any server and <c>sift eval mine</c> sees every server's answers. <c>sift eval mine</c> turns the bad answers into test cases. Query text can be stored
/// redacted, and entries older than a retention period are pruned.
/// Recording never waits for the disk: entries are queued and one background writer inserts them in batches, one
/// transaction each (a synchronous insert per request serialised every search on one lock and on SQLite's commits
/// and checkpoints). Every read, feedback and prune first writes what is
/// queued, so callers see their own entries; entries still queued when the process is killed are lost.
/// </summary>
public sealed class QueryLog : IDisposable
{
    public const string FileName = "querylog.db";

    /// <summary>Entries queued before a recorder writes inline instead (backpressure rather than unbounded memory).</summary>
    public const int DefaultQueueCapacity = 8_192;

    private const int BatchSize = 512;

    private readonly DbConnection _connection;
    private readonly string _queries;
    private readonly string _feedback;
    private readonly Lock _gate = new();
    private readonly int _queueCapacity;
    private readonly Channel<Entry> _queue;
    private readonly Task _writer;
    private bool _closed;

    /// <param name="queueCapacity">Entries that may wait for the background writer; when it is full, a recorder writes inline.</param>
    public QueryLog(string storeRoot, int queueCapacity = DefaultQueueCapacity)
        : this(OpenFile(storeRoot), "queries", "feedback", queueCapacity)
    {
        Execute("""
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=NORMAL;
            PRAGMA busy_timeout=5000;
            CREATE TABLE IF NOT EXISTS queries (
                id TEXT PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, collection TEXT NOT NULL, generation INTEGER NOT NULL,
                caller TEXT, question TEXT, answer TEXT, flags TEXT, documents TEXT NOT NULL,
                latency_ms REAL NOT NULL, tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL, cost TEXT NOT NULL, cached INTEGER NOT NULL, top_score REAL, cited TEXT);
            CREATE TABLE IF NOT EXISTS feedback (
                answer_id TEXT NOT NULL REFERENCES queries(id), at TEXT NOT NULL, rating INTEGER NOT NULL, comment TEXT);
            CREATE INDEX IF NOT EXISTS queries_at ON queries(at);
            """);
        // Logs from before the top score and the cited documents were kept gain their columns (empty for their entries).
        foreach (var (column, type) in new[] { ("top_score", "REAL"), ("cited", "TEXT") })
        {
            using var columns = _connection.CreateCommand();
            columns.CommandText = $"SELECT count(*) FROM pragma_table_info('queries') WHERE name = '{column}'";
            if (Convert.ToInt64(columns.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                try
                {
                    Execute($"ALTER TABLE queries ADD COLUMN {column} {type}");
                }
                catch (SqliteException ex) when (ex.Message.Contains("duplicate column", StringComparison.Ordinal))
                {
                    // Another process opening the same old log added it first.
                }
            }
        }
    }

    /// <summary>
    /// A log in a shared database: <paramref name="connection"/> (open, owned by the log from now on) holds the
    /// tables <c>sift_queries</c> and <c>sift_feedback</c>, made by the store's schema migrations.
    /// </summary>
    public static QueryLog Shared(DbConnection connection, int queueCapacity = DefaultQueueCapacity) =>
        new(connection, "sift_queries", "sift_feedback", queueCapacity);

    private QueryLog(DbConnection connection, string queries, string feedback, int queueCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        _queueCapacity = queueCapacity;
        _queue = Channel.CreateBounded<Entry>(queueCapacity);
        (_connection, _queries, _feedback) = (connection, queries, feedback);
        _writer = Task.Run(WriteQueuedAsync);
    }

    private static SqliteConnection OpenFile(string storeRoot)
    {
        Directory.CreateDirectory(storeRoot);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(storeRoot, FileName), Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>Logs an answer and returns its id (the id feedback refers to).</summary>
    /// <param name="caller">Who asked (an API key id); only they may give feedback on it. Null from the CLI.</param>
    public string RecordAnswer(AnswerRecord record, string collection, long generation, string? caller = null, bool redact = false, bool cached = false) =>
        Insert(
            "ask", collection, generation, caller, redact ? null : record.Question, record.Answer, JsonSerializer.Serialize(record.Flags),
            record.Retrieved.Select(r => r.DocumentId).Distinct(), cached ? 0 : record.TimingsMs.Values.Sum(), record.TokensIn, record.TokensOut, record.EstimatedCost, cached,
            record.Retrieved.Count == 0 ? null : record.Retrieved.Max(r => r.Score), record.Citations.Select(c => c.DocumentId).Distinct());

    /// <summary>Logs a search and returns its id.</summary>
    /// <param name="topScore">The best result's score (null: nothing found).</param>
    public string RecordSearch(string query, string collection, long generation, IEnumerable<string> documents, double latencyMs, string? caller = null, bool redact = false, bool cached = false, double? topScore = null) =>
        Insert("search", collection, generation, caller, redact ? null : query, null, null, documents.Distinct(), latencyMs, 0, 0, 0m, cached, topScore, null);

    private string Insert(
        string kind, string collection, long generation, string? caller, string? question, string? answer, string? flags,
        IEnumerable<string> documents, double latencyMs, int tokensIn, int tokensOut, decimal cost, bool cached, double? topScore, IEnumerable<string>? cited)
    {
        var entry = new Entry(
            Guid.CreateVersion7().ToString("N"), DateTimeOffset.UtcNow.ToString("O"), kind, collection, generation, caller, question, answer, flags,
            JsonSerializer.Serialize(documents), latencyMs, tokensIn, tokensOut, cost.ToString(System.Globalization.CultureInfo.InvariantCulture), cached, topScore,
            cited is null ? null : JsonSerializer.Serialize(cited));
        if (!_queue.Writer.TryWrite(entry))
        {
            // The queue is full (or the log is closing): write this entry and the backlog here.
            lock (_gate)
            {
                if (_closed)
                {
                    Lost([entry], "the log is closed");
                }
                else
                {
                    WriteBatchLocked([entry, .. Drain(_queueCapacity)]);
                }
            }
        }

        return entry.Id;
    }

    private async Task WriteQueuedAsync()
    {
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            lock (_gate)
            {
                WriteBatchLocked(Drain(BatchSize));
            }
        }
    }

    /// <summary>Writes every queued entry; callers hold <see cref="_gate"/>, so what they read next includes them.</summary>
    private void FlushLocked()
    {
        List<Entry> batch;
        while ((batch = Drain(BatchSize)).Count > 0)
        {
            WriteBatchLocked(batch);
        }
    }

    private List<Entry> Drain(int max)
    {
        var batch = new List<Entry>();
        while (batch.Count < max && _queue.Reader.TryRead(out var entry))
        {
            batch.Add(entry);
        }

        return batch;
    }

    /// <summary>
    /// Inserts a batch in one transaction. A failing disk must not stop the writer (and with it every later entry) nor
    /// fail the request that happened to write: the batch is counted as lost and reported instead.
    /// </summary>
    private void WriteBatchLocked(List<Entry> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            InsertLocked(batch);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Lost(batch, ex.Message);
        }
    }

    private static void Lost(List<Entry> batch, string reason)
    {
        SiftTelemetry.QueryLogLost.Add(batch.Count);
        System.Diagnostics.Trace.TraceError($"query log: {batch.Count} entries not written: {reason}");
    }

    private void InsertLocked(List<Entry> batch)
    {
        using var transaction = _connection.BeginTransaction();
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            INSERT INTO {_queries} (id, at, kind, collection, generation, caller, question, answer, flags, documents, latency_ms, tokens_in, tokens_out, cost, cached, top_score, cited)
            VALUES (@id, @at, @kind, @collection, @generation, @caller, @question, @answer, @flags, @documents, @latency, @in, @out, @cost, @cached, @top, @cited)
            """;
        (string Name, DbType Type)[] names = [
            ("id", DbType.String), ("at", DbType.String), ("kind", DbType.String), ("collection", DbType.String), ("generation", DbType.Int64),
            ("caller", DbType.String), ("question", DbType.String), ("answer", DbType.String), ("flags", DbType.String), ("documents", DbType.String),
            ("latency", DbType.Double), ("in", DbType.Int32), ("out", DbType.Int32), ("cost", DbType.String), ("cached", DbType.Int32), ("top", DbType.Double), ("cited", DbType.String)];
        foreach (var (name, type) in names)
        {
            var parameter = command.CreateParameter();
            (parameter.ParameterName, parameter.DbType) = (name, type);
            command.Parameters.Add(parameter);
        }

        foreach (var entry in batch)
        {
            object?[] values = [
                entry.Id, entry.At, entry.Kind, entry.Collection, entry.Generation, entry.Caller, entry.Question, entry.Answer, entry.Flags,
                entry.Documents, entry.LatencyMs, entry.TokensIn, entry.TokensOut, entry.Cost, entry.Cached ? 1 : 0, entry.TopScore, entry.Cited];
            for (var i = 0; i < values.Length; i++)
            {
                command.Parameters[i].Value = values[i] ?? DBNull.Value;
            }

            command.ExecuteNonQuery();
        }

        transaction.Commit();
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
            FlushLocked();
            using var command = _connection.CreateCommand();
            command.CommandText = $"""
                INSERT INTO {_feedback} (answer_id, at, rating, comment)
                SELECT id, @at, @rating, @comment FROM {_queries} WHERE id = @id AND kind = 'ask' AND (@caller IS NULL OR caller = @caller)
                """;
            Add(command, "id", answerId, DbType.String);
            Add(command, "caller", caller, DbType.String);
            Add(command, "at", DateTimeOffset.UtcNow.ToString("O"), DbType.String);
            Add(command, "rating", rating, DbType.Int32);
            Add(command, "comment", comment, DbType.String);
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
            FlushLocked();
            using var command = _connection.CreateCommand();
            command.CommandText = $"SELECT count(*) FROM {_queries}";
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Answers logged since <paramref name="since"/> (all when null), oldest first, with their feedback.</summary>
    public IReadOnlyList<LoggedAnswer> Read(DateTimeOffset? since = null)
    {
        lock (_gate)
        {
            FlushLocked();
            var feedback = FeedbackLocked(null);

            var answers = new List<LoggedAnswer>();
            using (var command = _connection.CreateCommand())
            {
                command.CommandText = $"""
                    SELECT id, at, collection, generation, question, answer, flags, documents, latency_ms, tokens_in, tokens_out, cost, cited
                    FROM {_queries} WHERE kind = 'ask' AND at >= @since ORDER BY at, id
                    """;
                Add(command, "since", (since ?? DateTimeOffset.MinValue).ToString("O"), DbType.String);
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
                        feedback.GetValueOrDefault(id) ?? [])
                    {
                        Cited = reader.IsDBNull(12) ? [] : JsonSerializer.Deserialize<List<string>>(reader.GetString(12))!,
                    });
                }
            }

            return answers;
        }
    }

    /// <summary>Searches and answers of <paramref name="collection"/> logged in [<paramref name="since"/>, <paramref name="until"/>), oldest first.</summary>
    public IReadOnlyList<LoggedQuery> ReadQueries(string collection, DateTimeOffset since, DateTimeOffset until)
    {
        lock (_gate)
        {
            FlushLocked();
            using var command = _connection.CreateCommand();
            command.CommandText = $"""
                SELECT at, kind, question, latency_ms, flags, cached FROM {_queries}
                WHERE collection = @collection AND at >= @since AND at < @until ORDER BY at, id
                """;
            Add(command, "collection", collection, DbType.String);
            // Entries are stamped in UTC ("O" format), so windows compare as text only when given in UTC too.
            Add(command, "since", since.ToUniversalTime().ToString("O"), DbType.String);
            Add(command, "until", until.ToUniversalTime().ToString("O"), DbType.String);
            using var reader = command.ExecuteReader();
            var queries = new List<LoggedQuery>();
            while (reader.Read())
            {
                var flags = reader.IsDBNull(4) ? null : JsonSerializer.Deserialize<AnswerFlags>(reader.GetString(4));
                queries.Add(new LoggedQuery(
                    DateTimeOffset.Parse(reader.GetString(0), System.Globalization.CultureInfo.InvariantCulture), reader.GetString(1),
                    reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetDouble(3), flags?.Abstained,
                    Convert.ToInt64(reader.GetValue(5), System.Globalization.CultureInfo.InvariantCulture) != 0));
            }

            return queries;
        }
    }

    /// <summary>
    /// Entries matching <paramref name="filter"/>, newest first (at most its limit), with their text, documents and
    /// feedback: the rows of the console's query log.
    /// </summary>
    public IReadOnlyList<LogEntry> Browse(LogFilter filter)
    {
        lock (_gate)
        {
            var entries = SelectLocked(filter, "id, at, kind, collection, caller, question, answer, flags, latency_ms, cost, cached, top_score, documents", reader => new LogEntry(
                reader.GetString(0), At(reader, 1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : JsonSerializer.Deserialize<AnswerFlags>(reader.GetString(7)), reader.GetDouble(8), Cost(reader, 9), Flag(reader, 10),
                reader.IsDBNull(11) ? null : reader.GetDouble(11), JsonSerializer.Deserialize<List<string>>(reader.GetString(12))!, []));
            var asked = entries.Where(e => e.Kind == "ask").Select(e => e.Id).ToList();
            var feedback = asked.Count == 0 ? [] : FeedbackLocked(asked);
            return [.. entries.Select(e => feedback.TryGetValue(e.Id, out var given) ? e with { Feedback = given } : e)];
        }
    }

    /// <summary>
    /// The numbers of the entries matching <paramref name="filter"/> (at most its limit, newest first), without their
    /// text: what the console's tiles and charts are computed from.
    /// </summary>
    public IReadOnlyList<LogMeasure> Measure(LogFilter filter)
    {
        lock (_gate)
        {
            return SelectLocked(
                filter,
                $"at, kind, latency_ms, cost, cached, top_score, flags, EXISTS (SELECT 1 FROM {_feedback} f WHERE f.answer_id = {_queries}.id AND f.rating < 0)",
                reader => new LogMeasure(
                    At(reader, 0), reader.GetString(1), reader.GetDouble(2), Cost(reader, 3), Flag(reader, 4), reader.IsDBNull(5) ? null : reader.GetDouble(5),
                    reader.IsDBNull(6) ? null : JsonSerializer.Deserialize<AnswerFlags>(reader.GetString(6))!.Abstained, Flag(reader, 7)));
        }
    }

    /// <summary><paramref name="columns"/> of the entries matching <paramref name="filter"/>, newest first; callers hold <see cref="_gate"/>.</summary>
    private List<T> SelectLocked<T>(LogFilter filter, string columns, Func<DbDataReader, T> read)
    {
        if (filter.Collections.Count == 0)
        {
            return [];
        }

        FlushLocked();
        using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT {columns} FROM {_queries} WHERE {Where(command, filter)} ORDER BY at DESC, id DESC LIMIT {filter.Limit}";
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>The feedback on these answers (all when null), oldest first per answer; callers hold <see cref="_gate"/>.</summary>
    private Dictionary<string, List<AnswerFeedback>> FeedbackLocked(IReadOnlyList<string>? answers)
    {
        using var command = _connection.CreateCommand();
        var only = answers is null ? "" : $" WHERE answer_id IN ({string.Join(", ", answers.Select((id, i) =>
        {
            Add(command, $"a{i}", id, DbType.String);
            return $"@a{i}";
        }))})";
        command.CommandText = $"SELECT answer_id, at, rating, comment FROM {_feedback}{only} ORDER BY at";
        var feedback = new Dictionary<string, List<AnswerFeedback>>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var list = feedback.TryGetValue(reader.GetString(0), out var found) ? found : feedback[reader.GetString(0)] = [];
            list.Add(new AnswerFeedback(At(reader, 1), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }

        return feedback;
    }

    private static DateTimeOffset At(DbDataReader reader, int column) => DateTimeOffset.Parse(reader.GetString(column), System.Globalization.CultureInfo.InvariantCulture);

    private static decimal Cost(DbDataReader reader, int column) => decimal.Parse(reader.GetString(column), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A 0/1 integer (SQLite) or a boolean (PostgreSQL) column.</summary>
    private static bool Flag(DbDataReader reader, int column) => Convert.ToBoolean(reader.GetValue(column), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The WHERE clause of <paramref name="filter"/>, its parameters added to <paramref name="command"/>.</summary>
    private static string Where(DbCommand command, LogFilter filter)
    {
        var names = filter.Collections.Select((name, i) =>
        {
            Add(command, $"c{i}", name, DbType.String);
            return $"@c{i}";
        }).ToList();
        var where = new List<string> { $"collection IN ({string.Join(", ", names)})", "at >= @since" };
        Add(command, "since", filter.Since.ToUniversalTime().ToString("O"), DbType.String);
        if (filter.Caller is not null)
        {
            where.Add("caller = @caller");
            Add(command, "caller", filter.Caller, DbType.String);
        }

        if (filter.Kind is not null)
        {
            where.Add("kind = @kind");
            Add(command, "kind", filter.Kind, DbType.String);
        }

        if (!string.IsNullOrWhiteSpace(filter.Text))
        {
            // lower() folds ASCII letters on SQLite (and by locale on PostgreSQL): case is ignored for English text.
            where.Add(@"(lower(coalesce(question, '')) LIKE @text ESCAPE '\' OR lower(coalesce(answer, '')) LIKE @text ESCAPE '\')");
            var escaped = filter.Text.Trim().ToLowerInvariant().Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);
            Add(command, "text", $"%{escaped}%", DbType.String);
        }

        if (filter.Flag is { } flag)
        {
            // Flags are stored as JSON written by this class: a set flag reads "Name":true.
            where.Add("flags LIKE @flag");
            Add(command, "flag", $"%\"{flag}\":true%", DbType.String);
        }

        return string.Join(" AND ", where);
    }

    /// <summary>Deletes entries (and their feedback) older than the retention period; returns how many.</summary>
    public int Prune(TimeSpan retention)
    {
        lock (_gate)
        {
            FlushLocked();
            using var transaction = _connection.BeginTransaction();
            using var feedback = _connection.CreateCommand();
            feedback.Transaction = transaction;
            feedback.CommandText = $"DELETE FROM {_feedback} WHERE answer_id IN (SELECT id FROM {_queries} WHERE at < @cutoff)";
            Add(feedback, "cutoff", (DateTimeOffset.UtcNow - retention).ToString("O"), DbType.String);
            feedback.ExecuteNonQuery();
            using var answers = _connection.CreateCommand();
            answers.Transaction = transaction;
            answers.CommandText = $"DELETE FROM {_queries} WHERE at < @cutoff";
            Add(answers, "cutoff", (DateTimeOffset.UtcNow - retention).ToString("O"), DbType.String);
            var removed = answers.ExecuteNonQuery();
            transaction.Commit();
            return removed;
        }
    }

    /// <summary>Writes what is queued, stops the background writer and closes the file.</summary>
    public void Dispose()
    {
        if (_queue.Writer.TryComplete())
        {
            _writer.GetAwaiter().GetResult();
            lock (_gate)
            {
                FlushLocked();
                _closed = true;
                _connection.Dispose();
            }
        }
    }

    private static void Add(DbCommand command, string name, object? value, DbType type)
    {
        var parameter = command.CreateParameter();
        (parameter.ParameterName, parameter.DbType, parameter.Value) = (name, type, value ?? DBNull.Value);
        command.Parameters.Add(parameter);
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private sealed record Entry(
        string Id, string At, string Kind, string Collection, long Generation, string? Caller, string? Question, string? Answer, string? Flags,
        string Documents, double LatencyMs, int TokensIn, int TokensOut, string Cost, bool Cached, double? TopScore, string? Cited);
}
