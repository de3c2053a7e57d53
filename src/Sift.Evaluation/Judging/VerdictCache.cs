using Microsoft.Data.Sqlite;

namespace Sift.Evaluation.Judging;

/// <summary>
/// Judge verdicts already paid for, in a SQLite file, keyed by a hash of (judge model, rubric version, rendered
/// prompt, repeat). A re-run of an unchanged evaluation costs nothing; a changed rubric or model asks again.
/// Only schema-valid verdicts are stored.
/// </summary>
public sealed class VerdictCache : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();

    public VerdictCache(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        Execute("PRAGMA journal_mode=WAL;");
        Execute("CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, rubric TEXT NOT NULL, model TEXT NOT NULL, verdict TEXT NOT NULL, created TEXT NOT NULL);");
    }

    public string? Get(string key)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT verdict FROM verdicts WHERE key = $key";
            command.Parameters.AddWithValue("$key", key);
            return command.ExecuteScalar() as string;
        }
    }

    public void Put(string key, string rubricVersion, string model, string verdict)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "INSERT OR REPLACE INTO verdicts (key, rubric, model, verdict, created) VALUES ($key, $rubric, $model, $verdict, $created)";
            command.Parameters.AddWithValue("$key", key);
            command.Parameters.AddWithValue("$rubric", rubricVersion);
            command.Parameters.AddWithValue("$model", model);
            command.Parameters.AddWithValue("$verdict", verdict);
            command.Parameters.AddWithValue("$created", DateTimeOffset.UtcNow.ToString("O"));
            command.ExecuteNonQuery();
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
