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

    private readonly IKeyTable _table;

    /// <param name="storeRoot">The server's folder (keys.db lives there unless <paramref name="sharedStore"/> is given).</param>
    /// <param name="sharedStore">A PostgreSQL store address whose <c>sift_keys</c> table holds the keys instead.</param>
    public ApiKeyStore(string storeRoot, string? sharedStore = null)
    {
        _table = sharedStore is not null && Core.Storage.StoreLocation.IsPostgresAddress(sharedStore)
            ? new PostgresKeyTable(sharedStore)
            : new SqliteKeyTable(storeRoot);
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

    /// <summary>Where key rows live.</summary>
    private interface IKeyTable
    {
        string Location { get; }

        void Insert(ApiKey key, byte[] hash);

        (ApiKey Key, byte[] Hash)? Find(string id);

        IReadOnlyList<ApiKey> List();

        bool Revoke(string id, DateTimeOffset at);
    }

    private sealed class SqliteKeyTable : IKeyTable
    {
        private readonly string _connectionString;

        public SqliteKeyTable(string storeRoot)
        {
            Directory.CreateDirectory(storeRoot);
            Location = Path.Combine(storeRoot, FileName);
            _connectionString = new SqliteConnectionStringBuilder { DataSource = Location }.ToString();
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                PRAGMA journal_mode=WAL;
                CREATE TABLE IF NOT EXISTS keys (
                    id TEXT PRIMARY KEY, name TEXT NOT NULL, hash BLOB NOT NULL, scopes TEXT NOT NULL, collections TEXT NOT NULL,
                    groups_ TEXT NOT NULL, created TEXT NOT NULL, revoked TEXT);
                """;
            command.ExecuteNonQuery();
        }

        public string Location { get; }

        public void Insert(ApiKey key, byte[] hash)
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO keys (id, name, hash, scopes, collections, groups_, created) VALUES ($id, $name, $hash, $scopes, $collections, $groups, $created)";
            command.Parameters.AddWithValue("$id", key.Id);
            command.Parameters.AddWithValue("$name", key.Name);
            command.Parameters.AddWithValue("$hash", hash);
            command.Parameters.AddWithValue("$scopes", string.Join(' ', key.Scopes));
            command.Parameters.AddWithValue("$collections", string.Join(' ', key.Collections));
            command.Parameters.AddWithValue("$groups", string.Join(' ', key.Groups));
            command.Parameters.AddWithValue("$created", key.Created.ToString("O"));
            command.ExecuteNonQuery();
        }

        public (ApiKey Key, byte[] Hash)? Find(string id)
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT id, name, hash, scopes, collections, groups_, created, revoked FROM keys WHERE id = $id";
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? (Read(reader), (byte[])reader.GetValue(2)) : null;
        }

        public IReadOnlyList<ApiKey> List()
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT id, name, hash, scopes, collections, groups_, created, revoked FROM keys ORDER BY created";
            using var reader = command.ExecuteReader();
            var keys = new List<ApiKey>();
            while (reader.Read())
            {
                keys.Add(Read(reader));
            }

            return keys;
        }

        public bool Revoke(string id, DateTimeOffset at)
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE keys SET revoked = $at WHERE id = $id AND revoked IS NULL";
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$at", at.ToString("O"));
            return command.ExecuteNonQuery() == 1;
        }

        private static ApiKey Read(SqliteDataReader reader) => new(
            reader.GetString(0), reader.GetString(1), Words(reader.GetString(3)), Words(reader.GetString(4)), Words(reader.GetString(5)),
            DateTimeOffset.Parse(reader.GetString(6), System.Globalization.CultureInfo.InvariantCulture),
            reader.IsDBNull(7) ? null : DateTimeOffset.Parse(reader.GetString(7), System.Globalization.CultureInfo.InvariantCulture));

        private SqliteConnection Open()
        {
            var connection = new SqliteConnection(_connectionString);
            connection.Open();
            return connection;
        }
    }

    /// <summary>The keys of every server on one PostgreSQL store (the table is made by the store's migrations).</summary>
    private sealed class PostgresKeyTable : IKeyTable
    {
        private readonly Npgsql.NpgsqlDataSource _data;

        public PostgresKeyTable(string address)
        {
            Postgres.PostgresStore.EnsureSchema(address);
            _data = Npgsql.NpgsqlDataSource.Create(Postgres.PostgresAddress.Parse(address).ConnectionString);
            Location = Postgres.PostgresAddress.Describe(Postgres.PostgresAddress.Parse(address));
        }

        public string Location { get; }

        public void Insert(ApiKey key, byte[] hash)
        {
            using var command = _data.CreateCommand("INSERT INTO sift_keys(id, name, hash, scopes, collections, groups_, created) VALUES ($1, $2, $3, $4, $5, $6, $7)");
            command.Parameters.AddWithValue(key.Id);
            command.Parameters.AddWithValue(key.Name);
            command.Parameters.AddWithValue(hash);
            command.Parameters.AddWithValue(string.Join(' ', key.Scopes));
            command.Parameters.AddWithValue(string.Join(' ', key.Collections));
            command.Parameters.AddWithValue(string.Join(' ', key.Groups));
            command.Parameters.AddWithValue(key.Created.UtcDateTime);
            command.ExecuteNonQuery();
        }

        public (ApiKey Key, byte[] Hash)? Find(string id)
        {
            using var command = _data.CreateCommand("SELECT id, name, hash, scopes, collections, groups_, created, revoked FROM sift_keys WHERE id = $1");
            command.Parameters.AddWithValue(id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? (Read(reader), reader.GetFieldValue<byte[]>(2)) : null;
        }

        public IReadOnlyList<ApiKey> List()
        {
            using var command = _data.CreateCommand("SELECT id, name, hash, scopes, collections, groups_, created, revoked FROM sift_keys ORDER BY created");
            using var reader = command.ExecuteReader();
            var keys = new List<ApiKey>();
            while (reader.Read())
            {
                keys.Add(Read(reader));
            }

            return keys;
        }

        public bool Revoke(string id, DateTimeOffset at)
        {
            using var command = _data.CreateCommand("UPDATE sift_keys SET revoked = $2 WHERE id = $1 AND revoked IS NULL");
            command.Parameters.AddWithValue(id);
            command.Parameters.AddWithValue(at.UtcDateTime);
            return command.ExecuteNonQuery() == 1;
        }

        private static ApiKey Read(Npgsql.NpgsqlDataReader reader) => new(
            reader.GetString(0), reader.GetString(1), Words(reader.GetString(3)), Words(reader.GetString(4)), Words(reader.GetString(5)),
            new DateTimeOffset(reader.GetFieldValue<DateTime>(6), TimeSpan.Zero),
            reader.IsDBNull(7) ? null : new DateTimeOffset(reader.GetFieldValue<DateTime>(7), TimeSpan.Zero));
    }
}
