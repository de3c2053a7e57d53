using System.Globalization;
using Sift.Core;
using Sift.Core.Storage;

namespace Sift.Composition;

/// <summary>
/// How every front end reads and records versions: the CLI, the server and evaluation resolve a collection reference
/// ("name", "name@alias", "name@7") here, once per request, and record a version here after every change.
/// </summary>
public static class CollectionVersions
{
    /// <summary>
    /// What a reader of <paramref name="collection"/> reads: the version <paramref name="version"/> names (an alias or
    /// a version number), else the version <c>prod</c> points at, else (a collection without versions yet) the working
    /// state. The result borrows <paramref name="collection"/>: dispose the collection, not the result.
    /// </summary>
    public static (IChunkStore Target, VersionRecord? Version) Resolve(IChunkStore collection, string? version)
    {
        if (collection.Versions is not { } catalog)
        {
            return version is null
                ? (collection, null)
                : throw new SiftException($"collection '{collection.Name}' keeps no versions (a read-only copy from before versions), so '{version}' cannot be read");
        }

        var id = Find(collection.Name, catalog, version);
        return id is null ? (collection, null) : (catalog.Open(id.Value), catalog.Find(id.Value));
    }

    /// <summary>The version id <paramref name="reference"/> names (null reference: <c>prod</c>, or null when it is unset).</summary>
    public static long? Find(string collection, IVersionCatalog catalog, string? reference)
    {
        if (reference is null)
        {
            return catalog.Aliases().TryGetValue(VersionAliases.Production, out var production) ? production : null;
        }

        if (reference.Length == 0)
        {
            throw new SiftException($"a version is missing after '{collection}@': name an alias (prod, candidate) or a version number");
        }

        if (VersionAliases.NamesANumber(reference))
        {
            var id = long.TryParse(reference.TrimStart('v'), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw new SiftException($"collection '{collection}' has no version {reference}: list them with sift versions list -c {collection}");
            return catalog.Find(id) is not null ? id : throw VersionAliases.NoSuchVersion(collection, id);
        }

        var aliases = catalog.Aliases();
        return aliases.TryGetValue(reference, out var aliased)
            ? aliased
            : throw new SiftException(
                $"collection '{collection}' has no alias '{reference}'; its aliases: {(aliases.Count == 0 ? "(none)" : string.Join(", ", aliases.Select(a => $"{a.Key} -> {a.Value}")))}");
    }

    /// <summary>
    /// Seals the change just written as a version and moves <paramref name="alias"/> to it: by default the collection's
    /// ingest-to setting, else <c>prod</c>, so simple use stays simple. Null for a store that keeps no versions.
    /// </summary>
    public static RecordedVersion? Record(IChunkStore collection, VersionChange change, string? alias = null)
    {
        if (collection.Versions is not { } catalog)
        {
            return null;
        }

        var newest = catalog.List().LastOrDefault()?.Id;
        alias ??= collection.Settings.IngestAlias ?? VersionAliases.Production;
        var version = catalog.Commit(change, alias);
        return new RecordedVersion(version, alias, version.Id != newest, catalog.Aliases());
    }

    /// <summary>Who a change from this process is recorded as when no caller is known: the operating system user.</summary>
    public static string LocalUser => Environment.UserName is { Length: > 0 } user ? user : "unknown";
}

/// <summary>The version a change made (or the newest, when nothing changed), the alias it was for, and where every alias points now.</summary>
public sealed record RecordedVersion(VersionRecord Version, string Alias, bool Created, IReadOnlyDictionary<string, long> Aliases);
