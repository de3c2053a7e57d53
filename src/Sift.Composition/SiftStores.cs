using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Generation.Logging;
using Sift.Index.Storage;
using Sift.Models;
using Sift.Postgres;

namespace Sift.Composition;

/// <summary>
/// Opens stores and binds embedders the one way every front end does: the CLI, the server and the benchmarks all come
/// through here, so a collection behaves the same whichever of them opened it.
/// </summary>
public static class SiftStores
{
    /// <summary>The embedder a collection gets when nothing was asked for and none was recorded.</summary>
    public const string DefaultEmbedder = EmbedderCatalog.Default;

    /// <summary>The store at <paramref name="location"/>: PostgreSQL for a postgres:// address or connection string, else a folder of embedded collections.</summary>
    /// <param name="warn">Hears about problems a collection repaired on its own (an index file refused and rebuilt).</param>
    public static IStore Open(StoreLocation location, ITextAnalyzer analyzer, Action<string>? warn = null) =>
        location.IsPostgres ? PostgresStore.Open(location.Value, analyzer, warn) : new CollectionStore(location.Value, analyzer, warn);

    /// <summary>
    /// The query log for a store: in the PostgreSQL store's database (every server's answers and feedback in one
    /// place), else <c>querylog.db</c> in <paramref name="homeFolder"/>.
    /// </summary>
    public static QueryLog OpenQueryLog(StoreLocation location, string homeFolder)
    {
        if (!location.IsPostgres)
        {
            return new QueryLog(homeFolder);
        }

        PostgresStore.EnsureSchema(location.Value);
        var connection = new Npgsql.NpgsqlConnection(PostgresAddress.Parse(location.Value).ConnectionString);
        connection.Open();
        return QueryLog.Shared(connection);
    }

    /// <summary>
    /// Binds the collection's embedder: the one asked for (it must match what the collection recorded), else the one
    /// the collection was built with, else <see cref="DefaultEmbedder"/> for a collection still empty ("none" for one
    /// a library caller filled without recording an embedder: it has no vectors to match).
    /// </summary>
    public static void BindEmbedder(IChunkStore collection, string? requested = null)
    {
        var spec = requested ?? collection.EmbedderSpec ?? (collection.Info().Chunks == 0 ? DefaultEmbedder : "none");
        collection.UseEmbedder(spec, EmbedderCatalog.Create(spec));
    }

    /// <summary>Opens an existing collection with its embedder bound.</summary>
    public static IChunkStore OpenBound(this IStore store, string name)
    {
        var collection = store.Open(name);
        try
        {
            BindEmbedder(collection);
            return collection;
        }
        catch
        {
            collection.Dispose();
            throw;
        }
    }
}
