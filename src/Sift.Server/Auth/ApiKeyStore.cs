using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Sift.Core;

namespace Sift.Server.Auth;

/// <summary>
/// What a key may do, each scope on its own (none implies another): read (search, ask, feedback), ingest (upload and
/// delete documents, follow its jobs), admin (follow every job of the collections the key may use; keys and
/// collections are managed with the CLI on the server), and delegate: the key belongs to an application that
/// authenticates its own users and may state, per request, whose access applies (header X-Sift-Principals). Which
/// documents a request sees is decided by principals alone, whatever the scopes.
/// </summary>
public static class Scopes
{
    public const string Read = "read";
    public const string Ingest = "ingest";
    public const string Admin = "admin";
    public const string Delegate = "delegate";

    public static IReadOnlyList<string> All { get; } = [Read, Ingest, Admin, Delegate];
}

/// <summary>An API key as stored: never the secret, only its SHA-256.</summary>
/// <param name="Collections">Collections the key may use; "*" for all.</param>
/// <param name="Groups">Principals the key holds for document access lists (e.g. group:finance).</param>
public sealed record ApiKey(string Id, string Name, IReadOnlyList<string> Scopes, IReadOnlyList<string> Collections, IReadOnlyList<string> Groups, DateTimeOffset Created, DateTimeOffset? Revoked)
{
    public bool Has(string scope) => Scopes.Contains(scope);

    public bool CanUse(string collection) => Collections.Contains("*") || Collections.Contains(collection);
}

/// <summary>
/// API keys in <c>STORE/keys.db</c>, or, for servers sharing a PostgreSQL store, in its <c>sift_keys</c> table, so a key
/// created once works on every server and a revocation reaches them all. A key is shown once, at creation, as
/// <c>sift_ID_SECRET</c>; the store keeps the id and a SHA-256 of the whole key, so a stolen database yields no usable
/// key. Verification is a primary-key lookup and a constant-time comparison.
/// </summary>
public sealed class ApiKeyStore
{
    public const string FileName = "keys.db";

    public const string Prefix = "sift_";

    private readonly KeyTable _table;

    /// <param name="storeRoot">The server's folder (keys.db lives there unless <paramref name="sharedStore"/> is given).</param>
    /// <param name="sharedStore">A PostgreSQL store address whose <c>sift_keys</c> table holds the keys instead.</param>
    public ApiKeyStore(string storeRoot, string? sharedStore = null)
    {
        _table = sharedStore is not null && Core.Storage.StoreLocation.IsPostgresAddress(sharedStore)
            ? KeyTable.Postgres(sharedStore)
            : KeyTable.Sqlite(storeRoot);
    }

    /// <summary>Where the keys are, for messages.</summary>
    public string Location => _table.Location;

    /// <summary>Creates a key; the returned secret is the only time it exists outside the caller's hands.</summary>
    public (ApiKey Key, string Secret) Create(string name, IReadOnlyList<string> scopes, IReadOnlyList<string> collections, IReadOnlyList<string> groups)
    {
        var unknown = scopes.FirstOrDefault(s => !Scopes.All.Contains(s));
        if (unknown is not null || scopes.Count == 0)
        {
            throw new SiftException($"unknown scope '{unknown}' (use {string.Join(", ", Scopes.All)})");
        }

        if (collections.Count == 0)
        {
            throw new InvalidOptionException("collections", "must name the collections the key may use (or * for all)");
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = $"{Prefix}{id}_{Base64Url(RandomNumberGenerator.GetBytes(24))}";
        var key = new ApiKey(id, name, scopes, collections, groups, DateTimeOffset.UtcNow, null);
        _table.Insert(key, SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
        return (key, secret);
    }

    /// <summary>The key a secret belongs to, or null when it is malformed, unknown, wrong or revoked.</summary>
    public ApiKey? Verify(string secret)
    {
        var parts = secret.Split('_');
        if (parts.Length != 3 || parts[0] != "sift" || parts[1].Length != 12)
        {
            return null;
        }

        return _table.Find(parts[1]) is ({ Revoked: null } key, var stored)
            && CryptographicOperations.FixedTimeEquals(stored, SHA256.HashData(Encoding.UTF8.GetBytes(secret)))
            ? key
            : null;
    }

    public IReadOnlyList<ApiKey> List() => _table.List();

    public bool Any() => List().Any(k => k.Revoked is null);

    public void Revoke(string id)
    {
        if (!_table.Revoke(id, DateTimeOffset.UtcNow))
        {
            throw new SiftException($"no active key has id '{id}' (sift keys list)");
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '-');

    private static string[] Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// Key rows over ADO.NET, the same statements on SQLite (<c>keys.db</c>) and PostgreSQL (<c>sift_keys</c>, made by
    /// the store's migrations): timestamps are ISO 8601 text in both.
    /// </summary>
    private sealed class KeyTable(string location, string table, Func<DbConnection> open)
    {
        public string Location { get; } = location;

        public static KeyTable Sqlite(string storeRoot)
        {
            Directory.CreateDirectory(storeRoot);
            var path = Path.Combine(storeRoot, FileName);
            var connectionString = new SqliteConnectionStringBuilder { DataSource = path }.ToString();
            var keys = new KeyTable(path, "keys", () => new SqliteConnection(connectionString));
            keys.Execute("""
                PRAGMA journal_mode=WAL;
                CREATE TABLE IF NOT EXISTS keys (
                    id TEXT PRIMARY KEY, name TEXT NOT NULL, hash BLOB NOT NULL, scopes TEXT NOT NULL, collections TEXT NOT NULL,
                    groups_ TEXT NOT NULL, created TEXT NOT NULL, revoked TEXT);
                """);
            return keys;
        }

        public static KeyTable Postgres(string address)
        {
            Sift.Postgres.PostgresStore.EnsureSchema(address);
            var builder = Sift.Postgres.PostgresAddress.Parse(address);
            var data = Npgsql.NpgsqlDataSource.Create(builder.ConnectionString);
            return new KeyTable(Sift.Postgres.PostgresAddress.Describe(builder), "sift_keys", data.CreateConnection);
        }

        public void Insert(ApiKey key, byte[] hash) => Execute(
            $"INSERT INTO {table} (id, name, hash, scopes, collections, groups_, created) VALUES (@id, @name, @hash, @scopes, @collections, @groups, @created)",
            ("id", key.Id), ("name", key.Name), ("hash", hash), ("scopes", string.Join(' ', key.Scopes)), ("collections", string.Join(' ', key.Collections)),
            ("groups", string.Join(' ', key.Groups)), ("created", key.Created.ToString("O")));

        public (ApiKey Key, byte[] Hash)? Find(string id) =>
            Select("WHERE id = @id", ("id", id)).Cast<(ApiKey, byte[])?>().FirstOrDefault();

        public IReadOnlyList<ApiKey> List() => [.. Select("ORDER BY created").Select(k => k.Key)];

        public bool Revoke(string id, DateTimeOffset at) =>
            Execute($"UPDATE {table} SET revoked = @at WHERE id = @id AND revoked IS NULL", ("id", id), ("at", at.ToString("O"))) == 1;

        private List<(ApiKey Key, byte[] Hash)> Select(string where, params (string Name, object Value)[] parameters)
        {
            using var connection = open();
            connection.Open();
            using var command = Command(connection, $"SELECT id, name, hash, scopes, collections, groups_, created, revoked FROM {table} {where}", parameters);
            using var reader = command.ExecuteReader();
            var keys = new List<(ApiKey, byte[])>();
            while (reader.Read())
            {
                keys.Add((new ApiKey(
                    reader.GetString(0), reader.GetString(1), Words(reader.GetString(3)), Words(reader.GetString(4)), Words(reader.GetString(5)),
                    DateTimeOffset.Parse(reader.GetString(6), System.Globalization.CultureInfo.InvariantCulture),
                    reader.IsDBNull(7) ? null : DateTimeOffset.Parse(reader.GetString(7), System.Globalization.CultureInfo.InvariantCulture)),
                    (byte[])reader.GetValue(2)));
            }

            return keys;
        }

        private int Execute(string sql, params (string Name, object Value)[] parameters)
        {
            using var connection = open();
            connection.Open();
            using var command = Command(connection, sql, parameters);
            return command.ExecuteNonQuery();
        }

        private static DbCommand Command(DbConnection connection, string sql, (string Name, object Value)[] parameters)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                var parameter = command.CreateParameter();
                (parameter.ParameterName, parameter.Value) = (name, value);
                command.Parameters.Add(parameter);
            }

            return command;
        }
    }
}
