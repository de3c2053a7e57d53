namespace Sift.Core.Storage;

/// <summary>
/// Where a store is, from what the user gave: an explicit location, else <c>SIFT_STORE</c>, else <c>SIFT_HOME</c>,
/// else the per-user data folder. <c>postgres://user@host:5432/db</c>, <c>postgresql://...</c> or an Npgsql connection
/// string (<c>Host=...;Database=...</c>) is a PostgreSQL store; anything else is a folder of embedded collections.
/// </summary>
public sealed record StoreLocation
{
    private StoreLocation(string value, bool isPostgres, string homeFolder)
    {
        Value = value;
        IsPostgres = isPostgres;
        HomeFolder = homeFolder;
    }

    /// <summary>The folder, or the PostgreSQL address as given.</summary>
    public string Value { get; }

    public bool IsPostgres { get; }

    /// <summary>
    /// The folder for what stays on this machine whatever the store (configuration, prompt templates, models): the
    /// store's own folder when embedded, else <c>SIFT_HOME</c> or the per-user data folder.
    /// </summary>
    public string HomeFolder { get; }

    public static StoreLocation Resolve(string? explicitLocation)
    {
        var home = Environment.GetEnvironmentVariable("SIFT_HOME") is { Length: > 0 } fromHome && !IsPostgresAddress(fromHome)
            ? fromHome
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "sift");
        var value = new[] { explicitLocation, Environment.GetEnvironmentVariable("SIFT_STORE") }.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v)) ?? home;
        return IsPostgresAddress(value) ? new StoreLocation(value, true, home) : new StoreLocation(value, false, value);
    }

    /// <summary>True for a postgres:// or postgresql:// address or an Npgsql connection string.</summary>
    public static bool IsPostgresAddress(string value) =>
        value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || (value.Contains('=', StringComparison.Ordinal) && value.Contains("host", StringComparison.OrdinalIgnoreCase) && !Directory.Exists(value));
}
