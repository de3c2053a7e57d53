using System.Text.RegularExpressions;
using Npgsql;
using Pgvector.Npgsql;
using Sift.Core;
using Sift.Core.Stages;
using Sift.Core.Storage;

namespace Sift.Postgres;

/// <summary>
/// Collections in one PostgreSQL database with pgvector: every server pointed at the same database sees the same
/// collections, and a change made through one is seen by the others on their next request (each search checks the
/// collection's generation, one prepared statement).
/// </summary>
public sealed partial class PostgresStore : IStore
{
    private readonly NpgsqlDataSource _data;
    private readonly ChangeFeed _feed;
    private readonly ITextAnalyzer _analyzer;
    private readonly Action<string>? _warn;

    private PostgresStore(NpgsqlDataSource data, string location, ITextAnalyzer analyzer, Action<string>? warn)
    {
        _data = data;
        _feed = new ChangeFeed(data);
        Location = location;
        _analyzer = analyzer;
        _warn = warn;
    }

    public string Location { get; }

    /// <summary>Connects, migrates the schema when this Sift is newer than the database's, and returns the store.</summary>
    public static PostgresStore Open(string address, ITextAnalyzer analyzer, Action<string>? warn = null)
    {
        var builder = PostgresAddress.Parse(address);
        var location = PostgresAddress.Describe(builder);
        try
        {
            // Migrate on a plain connection first: the vector type only exists once the extension is created.
            using (var connection = new NpgsqlConnection(builder.ConnectionString))
            {
                connection.Open();
                PostgresSchema.Migrate(connection, location);
            }

            var dataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString);
            dataSource.UseVector();
            return new PostgresStore(dataSource.Build(), location, analyzer, warn);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new SiftException($"the store {location} cannot be opened: {Describe(ex)}", ex);
        }
    }

    /// <summary>One line: the server's own message without the detail lines Npgsql appends (position, hint).</summary>
    internal static string Describe(Exception ex) =>
        ex is PostgresException postgres ? $"{postgres.SqlState}: {postgres.MessageText}" : ex.Message.Split('\n')[0].Trim();

    /// <summary>
    /// Brings the database's schema up to this Sift's (or refuses a newer one), for server state kept beside the
    /// collections (API keys, ingestion jobs) that may be opened before the store itself.
    /// </summary>
    public static void EnsureSchema(string address)
    {
        var builder = PostgresAddress.Parse(address);
        var location = PostgresAddress.Describe(builder);
        try
        {
            using var connection = new NpgsqlConnection(builder.ConnectionString);
            connection.Open();
            PostgresSchema.Migrate(connection, location);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new SiftException($"the store {location} cannot be opened: {Describe(ex)}", ex);
        }
    }

    public IReadOnlyList<string> List()
    {
        using var connection = _data.OpenConnection();
        using var command = new NpgsqlCommand("SELECT name FROM sift_collections ORDER BY name COLLATE \"C\"", connection);
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    public bool Exists(string name)
    {
        Validate(name);
        using var connection = _data.OpenConnection();
        using var command = new NpgsqlCommand("SELECT 1 FROM sift_collections WHERE name = $1", connection);
        command.Parameters.AddWithValue(name);
        return command.ExecuteScalar() is not null;
    }

    public IChunkStore Open(string name)
    {
        if (!Exists(name))
        {
            var known = List();
            var hint = known.Count == 0 ? $"the store {Location} has no collections" : $"known: {string.Join(", ", known)}";
            throw new SiftException($"unknown collection '{name}' ({hint})");
        }

        return PostgresCollection.Open(_data, _feed, name, Location, _analyzer, _warn);
    }

    public IChunkStore OpenOrCreate(string name)
    {
        Validate(name);
        using (var connection = _data.OpenConnection())
        using (var command = new NpgsqlCommand(
            "INSERT INTO sift_collections(name, collection_id, analyzer) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING", connection))
        {
            command.Parameters.AddWithValue(name);
            command.Parameters.AddWithValue(Guid.NewGuid().ToString("N"));
            command.Parameters.AddWithValue(_analyzer.Name);
            command.ExecuteNonQuery();
        }

        return PostgresCollection.Open(_data, _feed, name, Location, _analyzer, _warn);
    }

    public void Delete(string name)
    {
        Validate(name);
        using var connection = _data.OpenConnection();
        using var transaction = connection.BeginTransaction();
        using var find = new NpgsqlCommand("DELETE FROM sift_collections WHERE name = $1 RETURNING key", connection, transaction);
        find.Parameters.AddWithValue(name);
        if (find.ExecuteScalar() is not long key)
        {
            throw new SiftException($"unknown collection '{name}'");
        }

        using var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {PostgresCollection.VectorTable(key)}", connection, transaction);
        drop.ExecuteNonQuery();
        // Every server's handles on it hear that it is gone (and follow the name if it is created again).
        using var notify = new NpgsqlCommand($"SELECT pg_notify('{ChangeFeed.Channel}', $1)", connection, transaction);
        notify.Parameters.AddWithValue($"{key.ToString(System.Globalization.CultureInfo.InvariantCulture)}:{ChangeFeed.Deleted.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        notify.ExecuteNonQuery();
        transaction.Commit();
    }

    public void Dispose()
    {
        _feed.Dispose();
        _data.Dispose();
    }

    private static void Validate(string name)
    {
        if (!ValidName().IsMatch(name))
        {
            throw new SiftException(
                $"invalid collection name '{name}': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex ValidName();
}
