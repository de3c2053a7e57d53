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
/// API keys in <c>STORE/keys.db</c>. A key is shown once, at creation, as <c>sift_ID_SECRET</c>; the store keeps the
/// id and a SHA-256 of the whole key, so a stolen database yields no usable key. Verification is a primary-key
/// lookup and a constant-time comparison.
/// </summary>
public sealed class ApiKeyStore
{
    public const string FileName = "keys.db";

    public const string Prefix = "sift_";

    private readonly string _connectionString;

    public ApiKeyStore(string storeRoot)
    {
        Directory.CreateDirectory(storeRoot);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(storeRoot, FileName) }.ToString();
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
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO keys (id, name, hash, scopes, collections, groups_, created) VALUES ($id, $name, $hash, $scopes, $collections, $groups, $created)";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$hash", SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
        command.Parameters.AddWithValue("$scopes", string.Join(' ', scopes));
        command.Parameters.AddWithValue("$collections", string.Join(' ', collections));
        command.Parameters.AddWithValue("$groups", string.Join(' ', groups));
        command.Parameters.AddWithValue("$created", key.Created.ToString("O"));
        command.ExecuteNonQuery();
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

        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, name, hash, scopes, collections, groups_, created, revoked FROM keys WHERE id = $id";
        command.Parameters.AddWithValue("$id", parts[1]);
        using var reader = command.ExecuteReader();
        if (!reader.Read() || !reader.IsDBNull(7))
        {
            return null;
        }

        var stored = (byte[])reader.GetValue(2);
        return CryptographicOperations.FixedTimeEquals(stored, SHA256.HashData(Encoding.UTF8.GetBytes(secret))) ? Read(reader) : null;
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

    public bool Any() => List().Any(k => k.Revoked is null);

    public void Revoke(string id)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE keys SET revoked = $at WHERE id = $id AND revoked IS NULL";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O"));
        if (command.ExecuteNonQuery() == 0)
        {
            throw new SiftException($"no active key has id '{id}' (sift keys list)");
        }
    }

    private static ApiKey Read(SqliteDataReader reader)
    {
        static string[] Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new ApiKey(
            reader.GetString(0), reader.GetString(1), Words(reader.GetString(3)), Words(reader.GetString(4)), Words(reader.GetString(5)),
            DateTimeOffset.Parse(reader.GetString(6), System.Globalization.CultureInfo.InvariantCulture),
            reader.IsDBNull(7) ? null : DateTimeOffset.Parse(reader.GetString(7), System.Globalization.CultureInfo.InvariantCulture));
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '-');
}
