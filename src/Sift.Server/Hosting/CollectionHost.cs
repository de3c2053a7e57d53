using System.Collections.Concurrent;
using Sift.Composition;
using Sift.Core;
using Sift.Core.Storage;
using Sift.Index.Analysis;

namespace Sift.Server;

/// <summary>
/// The store's collections, each opened once and shared by all requests (collections are safe for concurrent readers
/// and one writer). A collection that fails to open is reported broken by /readyz without affecting the others.
/// </summary>
/// <param name="warn">Hears about problems a collection repaired on its own (e.g. a foreign vector index file rebuilt).</param>
public sealed class CollectionHost(ServerOptions options, Action<string>? warn = null) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<IChunkStore>> _open = new(StringComparer.Ordinal);

    public static EnglishTextAnalyzer Analyzer { get; } = new();

    public IStore Store { get; } = SiftStores.Open(StoreLocation.Resolve(options.Store ?? options.StoreRoot), Analyzer, warn);

    public IReadOnlyList<string> Names => Store.List();

    /// <summary>False when the store cannot be reached (its folder gone, its database down).</summary>
    public bool IsAvailable
    {
        get
        {
            try
            {
                _ = Store.List();
                return options.Store is not null || Directory.Exists(options.StoreRoot);
            }
            catch (Exception ex) when (ex is SiftException or IOException or System.Data.Common.DbException)
            {
                return false;
            }
        }
    }

    public bool Exists(string name) => IsValidName(name) && Store.Exists(name);

    /// <summary>The open collection, or null when it does not exist.</summary>
    public IChunkStore? Find(string name)
    {
        if (!Exists(name))
        {
            return null;
        }

        var lazy = _open.GetOrAdd(name, n => new Lazy<IChunkStore>(() => OpenShared(n), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // Do not cache a failure: the next request tries again (the file may have been repaired).
            _open.TryRemove(new KeyValuePair<string, Lazy<IChunkStore>>(name, lazy));
            throw;
        }
    }

    /// <summary>
    /// What a read of <paramref name="name"/> answers from: the version <paramref name="reference"/> names (an alias
    /// or a number), else the one <c>prod</c> points at, else the working state of a collection without versions.
    /// Resolved once, at the start of the request, so the whole request reads one version. Null when there is no
    /// such collection.
    /// </summary>
    public (IChunkStore Target, VersionRecord? Version)? Read(string name, string? reference) =>
        Find(name) is { } collection ? Read(collection, reference) : null;

    /// <summary>What a read of the open <paramref name="collection"/> answers from (see <see cref="Read(string, string?)"/>).</summary>
    public (IChunkStore Target, VersionRecord? Version) Read(IChunkStore collection, string? reference)
    {
        var name = collection.Name;

        if (collection.Versions is not { } catalog)
        {
            return CollectionVersions.Resolve(collection, reference);
        }

        if (CollectionVersions.Find(name, catalog, reference) is not { } id)
        {
            return (collection, null);
        }

        if (_views.Count > MaxViews)
        {
            _views.Clear();
        }

        var view = _views.GetOrAdd((name, id), key => new Lazy<(IChunkStore, VersionRecord)>(() => (catalog.Open(key.Version), catalog.Find(key.Version)!))).Value;
        return view;
    }

    private const int MaxViews = 64;

    private readonly ConcurrentDictionary<(string Name, long Version), Lazy<(IChunkStore Target, VersionRecord Version)>> _views = new();

    /// <summary>Opens (creating it if needed) for ingestion.</summary>
    public IChunkStore FindOrCreate(string name)
    {
        if (!IsValidName(name))
        {
            throw new SiftException($"invalid collection name '{name}'");
        }

        if (!Store.Exists(name))
        {
            using var created = Store.OpenOrCreate(name);
        }

        return Find(name)!;
    }

    /// <summary>"ready", or what is wrong with the collection.</summary>
    public string Check(string name)
    {
        try
        {
            var collection = Find(name) ?? throw new SiftException("not found");
            collection.LexicalIndex(Bm25Parameters.Default);
            return "ready";
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return $"broken: {ex.Message.Split('\n')[0]}";
        }
    }

    public void Dispose()
    {
        foreach (var lazy in _open.Values.Where(l => l.IsValueCreated))
        {
            lazy.Value.Dispose();
        }

        Store.Dispose();
    }

    private IChunkStore OpenShared(string name)
    {
        // The same embedder policy as the CLI: the one the collection recorded, else the default.
        return Store.OpenBound(name);
    }

    /// <summary>1 to 64 letters, digits, "-", "_" or ".", not starting with ".".</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && name[0] != '.';
}
