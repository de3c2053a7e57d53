namespace Sift.Core.Storage;

/// <summary>
/// Where collections live: a folder of embedded (SQLite) collections, or a PostgreSQL database. Front ends pick one
/// from a store location (<see cref="StoreLocation"/>) and use only this contract.
/// </summary>
public interface IStore : IDisposable
{
    /// <summary>Where the store is, for messages: a folder, or a PostgreSQL address without its password.</summary>
    string Location { get; }

    IReadOnlyList<string> List();

    bool Exists(string name);

    /// <summary>Opens an existing collection; an unknown name is a <see cref="SiftException"/> naming the known ones.</summary>
    IChunkStore Open(string name);

    IChunkStore OpenOrCreate(string name);

    void Delete(string name);
}
