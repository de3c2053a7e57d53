namespace Sift.Core.Storage;

/// <summary>
/// A collection's immutable versions and the aliases (<c>prod</c>, <c>candidate</c>, any name) that point at them. A
/// version is sealed from the collection's working state after a change (ingest, delete, settings); documents that did
/// not change are shared between versions, never copied. Readers resolve an alias once per request and read the
/// version it named through <see cref="Open"/>, so a write, a promote or a rollback never changes what a running
/// request sees.
/// </summary>
public interface IVersionCatalog
{
    /// <summary>Every version, oldest first.</summary>
    IReadOnlyList<VersionRecord> List();

    VersionRecord? Find(long id);

    /// <summary>
    /// Seals the working state as a new version whose parent is the newest one and moves <paramref name="alias"/> (when
    /// given) to it. When nothing changed since the newest version, that one is returned and no alias moves.
    /// </summary>
    VersionRecord Commit(VersionChange change, string? alias);

    /// <summary>Alias name to version id.</summary>
    IReadOnlyDictionary<string, long> Aliases();

    /// <summary>Points <paramref name="alias"/> at <paramref name="version"/> (O(1): one row), remembering where it pointed before.</summary>
    void MoveAlias(string alias, long version, string by, string reason);

    void DeleteAlias(string alias);

    /// <summary>Where the alias has pointed, newest first.</summary>
    IReadOnlyList<AliasMove> AliasHistory(string alias);

    /// <summary>A read-only view of one version: search, documents and chunks exactly as they were when it was sealed.</summary>
    IChunkStore Open(long version);

    /// <summary>Stores a report (a promote gate's, a drift comparison's) with the version.</summary>
    void AttachReport(long version, string kind, string json);

    IReadOnlyList<VersionReport> Reports(long version);

    /// <summary>
    /// Deletes the versions no alias points at and <paramref name="retention"/> does not keep, then every stored row
    /// that only those versions used. The working state is never touched.
    /// </summary>
    VersionCollection Collect(VersionRetention retention);
}

/// <summary>What made a version, recorded with it.</summary>
/// <param name="Change">ingest, delete, settings, migrate, ...</param>
/// <param name="By">Who: the OS user for the CLI, the API key's name for the server.</param>
/// <param name="Prompts">Prompt template versions in force (id@hash), recorded for lineage.</param>
public sealed record VersionChange(string Change, string By, string? Note = null, IReadOnlyList<string>? Prompts = null);

/// <param name="Generation">The collection generation the version was sealed at: caches key on it.</param>
public sealed record VersionRecord(
    long Id,
    long? Parent,
    string Change,
    string CreatedAt,
    string CreatedBy,
    string? Note,
    long Documents,
    long Chunks,
    string Chunker,
    string Embedder,
    string Analyzer,
    string SiftVersion,
    CollectionSettings Settings,
    IReadOnlyList<string> Prompts,
    long Generation);

public sealed record AliasMove(string Alias, long Version, long? Previous, string At, string By, string Reason);

public sealed record VersionReport(string Kind, string CreatedAt, string Json);

/// <summary>Which versions a collection keeps besides those an alias points at.</summary>
/// <param name="KeepLast">The newest this many versions are kept.</param>
public sealed record VersionRetention(int KeepLast = 1)
{
    /// <summary>Of <paramref name="versions"/> (oldest first), those kept (the newest <see cref="KeepLast"/> and every aliased one) and those deleted.</summary>
    public (IReadOnlySet<long> Kept, IReadOnlyList<long> Deleted) Split(IReadOnlyList<long> versions, IEnumerable<long> aliased)
    {
        if (KeepLast < 1)
        {
            throw new InvalidOptionException("keep last", "must be at least 1: the newest version is always kept");
        }

        var kept = versions.TakeLast(KeepLast).Concat(aliased).ToHashSet();
        return (kept, [.. versions.Where(v => !kept.Contains(v))]);
    }
}

public sealed record VersionCollection(IReadOnlyList<long> DeletedVersions, long DeletedDocumentRevisions, long DeletedChunks);

/// <summary>Alias names: the defaults every front end uses, and the rule for a valid one.</summary>
public static class VersionAliases
{
    /// <summary>The alias readers use when they name none, and that an ingest moves by default.</summary>
    public const string Production = "prod";

    public const string Candidate = "candidate";

    /// <summary>
    /// An alias is a short name of letters, digits, '-' and '_', starting with a letter, and never "v" and digits
    /// (which name a version by number, as in <c>docs@v7</c>).
    /// </summary>
    public static string Validate(string alias) =>
        alias.Length is > 0 and <= 64 && char.IsAsciiLetter(alias[0]) && alias.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') && !NamesANumber(alias)
            ? alias
            : throw new InvalidOptionException("alias", $"'{alias}' is not a valid alias: use letters, digits, '-' and '_', starting with a letter (and not v followed by digits, which names a version)");

    /// <summary>The error for a version number a collection does not have, saying how to list the ones it has.</summary>
    public static SiftException NoSuchVersion(string collection, long version) =>
        new($"collection '{collection}' has no version {version}: list them with sift versions list -c {collection}");

    /// <summary>True for "7" and "v7": references to a version by its number.</summary>
    public static bool NamesANumber(string reference) =>
        reference.TrimStart('v') is { Length: > 0 } digits && reference.Length - digits.Length <= 1 && digits.All(char.IsAsciiDigit);

    /// <summary>
    /// Splits a collection reference "name", "name@alias" or "name@7" into the name and what to read (null: the
    /// default, <see cref="Production"/> when the collection has versions).
    /// </summary>
    public static (string Name, string? Version) Split(string reference)
    {
        var at = reference.IndexOf('@', StringComparison.Ordinal);
        return at < 0 ? (reference, null) : (reference[..at], reference[(at + 1)..]);
    }
}
