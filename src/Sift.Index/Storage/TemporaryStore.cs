using Microsoft.Data.Sqlite;
using Sift.Core.Stages;

namespace Sift.Index.Storage;

/// <summary>A store in a fresh temporary folder, deleted on dispose: for runs that must not touch the user's store.</summary>
public sealed class TemporaryStore : IDisposable
{
    private readonly string _root;

    public TemporaryStore(ITextAnalyzer analyzer, string purpose)
    {
        _root = Path.Combine(Path.GetTempPath(), $"sift-{purpose}-{Guid.NewGuid():N}");
        Store = new CollectionStore(_root, analyzer);
    }

    public CollectionStore Store { get; }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
