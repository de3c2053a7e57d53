using System.Collections.Concurrent;
using Sift.Core;
using Sift.Index.Analysis;
using Sift.Index.Storage;
using Sift.Models;

namespace Sift.Server;

/// <summary>
/// The store's collections, each opened once and shared by all requests (collections are safe for concurrent readers
/// and one writer). A collection that fails to open is reported broken by /readyz without affecting the others.
/// </summary>
/// <param name="warn">Hears about problems a collection repaired on its own (e.g. a foreign vector index file rebuilt).</param>
public sealed class CollectionHost(ServerOptions options, Action<string>? warn = null) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Collection>> _open = new(StringComparer.Ordinal);

    public static EnglishTextAnalyzer Analyzer { get; } = new();

    public CollectionStore Store { get; } = new(options.StoreRoot, Analyzer, warn);

    public IReadOnlyList<string> Names => Store.List();

    public bool Exists(string name) => IsValidName(name) && Store.Exists(name);

    /// <summary>The open collection, or null when it does not exist.</summary>
    public Collection? Find(string name)
    {
        if (!Exists(name))
        {
            return null;
        }

        var lazy = _open.GetOrAdd(name, n => new Lazy<Collection>(() => OpenShared(n), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // Do not cache a failure: the next request tries again (the file may have been repaired).
            _open.TryRemove(new KeyValuePair<string, Lazy<Collection>>(name, lazy));
            throw;
        }
    }

    /// <summary>Opens (creating it if needed) for ingestion.</summary>
    public Collection FindOrCreate(string name)
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
            collection.LexicalIndex(Index.Lexical.Bm25Parameters.Default);
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
    }

    private Collection OpenShared(string name)
    {
        var collection = Store.Open(name);
        if (collection.EmbedderSpec is { } spec)
        {
            collection.UseEmbedder(spec, EmbedderCatalog.Create(spec));
        }

        return collection;
    }

    private static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && name[0] != '.';
}
