using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Sift.Core;
using Sift.Core.Stages;
using Sift.Core.Storage;

namespace Sift.Index.Storage;

/// <summary>
/// A folder of collections, one sub-folder each. Resolved from an explicit path, else <c>SIFT_HOME</c>, else the
/// per-user data folder. <paramref name="warn"/> hears about problems the collections repaired on their own (a vector
/// index file refused and rebuilt), so a front end can tell its user.
/// </summary>
public sealed partial class CollectionStore(string root, ITextAnalyzer analyzer, Action<string>? warn = null) : IStore
{
    public string Root { get; } = Path.GetFullPath(root);

    public string Location => Root;

    public static string ResolveRoot(string? explicitRoot)
    {
        if (!string.IsNullOrWhiteSpace(explicitRoot))
        {
            return explicitRoot;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable("SIFT_HOME");
        return !string.IsNullOrWhiteSpace(fromEnvironment)
            ? fromEnvironment
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "sift");
    }

    public IReadOnlyList<string> List() =>
        Directory.Exists(Root)
            ? Directory.EnumerateDirectories(Root)
                .Where(d => File.Exists(Path.Combine(d, Collection.DatabaseFileName)))
                .Select(d => Path.GetFileName(d)!)
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];

    public bool Exists(string name) => File.Exists(Path.Combine(FolderOf(name), Collection.DatabaseFileName));

    public Collection Open(string name)
    {
        if (!Exists(name))
        {
            var known = List();
            var hint = known.Count == 0 ? $"the store {Root} has no collections" : $"known: {string.Join(", ", known)}";
            throw new SiftException($"unknown collection '{name}' ({hint})");
        }

        return Collection.Open(name, FolderOf(name), analyzer, create: false, warn);
    }

    public Collection OpenOrCreate(string name)
    {
        var folder = FolderOf(name);
        Directory.CreateDirectory(folder);
        return Collection.Open(name, folder, analyzer, create: true, warn);
    }

    public void Delete(string name)
    {
        RequireExisting(name);

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(FolderOf(name), recursive: true);
    }

    /// <summary>Checks a collection without writing to it, even one too damaged to open (see <see cref="CollectionCheck"/>).</summary>
    public IntegrityReport Check(string name)
    {
        RequireExisting(name);
        return CollectionCheck.Run(name, FolderOf(name));
    }

    /// <summary>
    /// Salvages what reads back of a damaged collection into the new collection <paramref name="newName"/>, leaving the
    /// damaged one untouched; <paramref name="createEmbedder"/> makes the recorded embedder from its spec.
    /// </summary>
    public RepairReport Repair(string name, string newName, Func<string, IEmbeddingGenerator<string, Embedding<float>>?> createEmbedder)
    {
        RequireExisting(name);
        if (Exists(newName))
        {
            throw new SiftException($"collection '{newName}' already exists; repair into a new name");
        }

        return CollectionRepair.Run(this, name, FolderOf(name), newName, analyzer, createEmbedder);
    }

    IChunkStore IStore.Open(string name) => Open(name);

    IChunkStore IStore.OpenOrCreate(string name) => OpenOrCreate(name);

    /// <summary>Nothing to release: each collection holds its own connections.</summary>
    public void Dispose()
    {
    }

    private void RequireExisting(string name)
    {
        if (!Exists(name))
        {
            throw new SiftException($"unknown collection '{name}'");
        }
    }

    private string FolderOf(string name)
    {
        if (!ValidName().IsMatch(name))
        {
            throw new SiftException(
                $"invalid collection name '{name}': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }

        return Path.Combine(Root, name);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex ValidName();
}
