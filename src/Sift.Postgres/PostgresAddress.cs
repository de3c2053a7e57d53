using Npgsql;
using Sift.Core;

namespace Sift.Postgres;

/// <summary>
/// A PostgreSQL store address as users write it: <c>postgres://user:password@host:5432/db?sslmode=require</c> (the
/// libpq URI form) or an Npgsql connection string. Unset parts fall back to the PG* environment variables, as psql's do.
/// </summary>
public static class PostgresAddress
{
    /// <summary>The Npgsql connection string for an address, with pooling and automatic statement preparation on.</summary>
    public static NpgsqlConnectionStringBuilder Parse(string address)
    {
        NpgsqlConnectionStringBuilder builder;
        if (address.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || address.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            {
                throw new SiftException($"the store address '{Redact(address)}' is not of the form postgres://user@host:5432/database");
            }

            builder = new NpgsqlConnectionStringBuilder
            {
                Host = uri.Host,
                Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
                Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } database ? database : null,
            };
            if (uri.UserInfo.Length > 0)
            {
                var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
                builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
                if (colon >= 0)
                {
                    builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
                }
            }

            foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                var (key, value) = equals < 0 ? (pair, "") : (Uri.UnescapeDataString(pair[..equals]), Uri.UnescapeDataString(pair[(equals + 1)..]));
                try
                {
                    builder[LibpqKeywords.GetValueOrDefault(key.ToLowerInvariant(), key)] = value;
                }
                catch (ArgumentException ex)
                {
                    throw new SiftException($"the store address has an unknown parameter '{key}': {ex.Message}", ex);
                }
            }
        }
        else
        {
            try
            {
                builder = new NpgsqlConnectionStringBuilder(address);
            }
            catch (ArgumentException ex)
            {
                throw new SiftException($"the store address is neither postgres://... nor a valid connection string: {ex.Message}", ex);
            }
        }

        builder.Host ??= Environment.GetEnvironmentVariable("PGHOST");
        if (!address.Contains("port", StringComparison.OrdinalIgnoreCase) && !HasUriPort(address)
            && int.TryParse(Environment.GetEnvironmentVariable("PGPORT"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port))
        {
            builder.Port = port;
        }

        builder.Username ??= Environment.GetEnvironmentVariable("PGUSER") ?? Environment.UserName;
        builder.Password ??= Environment.GetEnvironmentVariable("PGPASSWORD");
        builder.Database ??= Environment.GetEnvironmentVariable("PGDATABASE") ?? builder.Username;
        builder.Pooling = true;
        // Statements a server runs on every request (the generation check, the vector query) are prepared once per connection.
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 64;
        }

        builder.ApplicationName ??= "sift";
        return builder;
    }

    /// <summary>libpq's URI parameters as Npgsql's keywords; anything else is taken as an Npgsql keyword.</summary>
    private static readonly Dictionary<string, string> LibpqKeywords = new(StringComparer.Ordinal)
    {
        ["sslmode"] = "SSL Mode",
        ["sslrootcert"] = "Root Certificate",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
        ["connect_timeout"] = "Timeout",
        ["application_name"] = "Application Name",
        ["target_session_attrs"] = "Target Session Attributes",
    };

    private static bool HasUriPort(string address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri) && address.Contains("://", StringComparison.Ordinal) && !uri.IsDefaultPort && uri.Port > 0;

    /// <summary>The address for messages: host, port, database and user, never the password.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder builder) =>
        $"postgres://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";

    private static string Redact(string address) =>
        System.Text.RegularExpressions.Regex.Replace(address, "://([^:@/]*):.*@", "://$1:***@");
}
