using System.CommandLine;
using Sift.Core.Storage;
using Sift.Index.Storage;

namespace Sift.Cli.Commands;

/// <summary>
/// Where a benchmark or an evaluation indexes a dataset it will throw away: a temporary embedded store, or, when
/// <c>--store</c> names a PostgreSQL store, a collection of its own there (so the backend can be measured), deleted
/// afterwards either way.
/// </summary>
internal sealed class ScratchCollection : IDisposable
{
    private readonly TemporaryStore? _temporary;

    private ScratchCollection(IStore store, string name, TemporaryStore? temporary)
    {
        Store = store;
        Name = name;
        _temporary = temporary;
    }

    public IStore Store { get; }

    public string Name { get; }

    public static ScratchCollection Create(ParseResult result, string purpose, string dataset)
    {
        if (result.GetValue(CommonOptions.Store) is { } explicitStore && StoreLocation.IsPostgresAddress(explicitStore))
        {
            return new ScratchCollection(CommonOptions.OpenStore(result), $"{purpose}-{dataset}-{Guid.NewGuid().ToString("N")[..8]}", null);
        }

        var temporary = new TemporaryStore(CommonOptions.Analyzer, purpose);
        return new ScratchCollection(temporary.Store, dataset, temporary);
    }

    public void Dispose()
    {
        if (_temporary is not null)
        {
            _temporary.Dispose();
            return;
        }

        if (Store.Exists(Name))
        {
            Store.Delete(Name);
        }

        Store.Dispose();
    }
}
