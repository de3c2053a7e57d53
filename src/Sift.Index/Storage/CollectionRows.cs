using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Sift.Core;

namespace Sift.Index.Storage;

/// <summary>
/// Every row a collection database still gives back, read without writing to it. In the manner of SQLite's
/// <c>.recover</c>, each table is read in rowid ranges; a range that errors is split until the rows that cannot be read
/// are isolated, and those are recorded as lost instead of ending the read. So a damaged page costs its own rows only.
/// </summary>
internal sealed class CollectionRows
{
    private const int RangeSize = 256;

    /// <summary>Empty ranges read past the last rowid seen before giving up, when the table's largest rowid is unreadable.</summary>
    private const int EmptyRangesBeyondEnd = 64;

    public required IReadOnlyDictionary<string, string> Meta { get; init; }

    public required IReadOnlyList<DocumentRow> Documents { get; init; }

    public required IReadOnlyList<ChunkRow> Chunks { get; init; }

    public required IReadOnlyList<EmbeddingRow> Embeddings { get; init; }

    public required IReadOnlyList<UnreadableRows> Unreadable { get; init; }

    /// <summary>Reads the database at <paramref name="path"/> read-only; throws <see cref="SiftException"/> only when it cannot be opened at all.</summary>
    public static CollectionRows Read(string path, string collectionName)
    {
        using var connection = OpenReadOnly(path, collectionName);
        var unreadable = new List<UnreadableRows>();
        var meta = ReadTable(connection, "meta", "key, value", r => (Key: r.GetString(0), Value: r.GetString(1)), unreadable);
        return new CollectionRows
        {
            Meta = meta.GroupBy(m => m.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal),
            Documents = ReadTable(connection, "documents", "id, source, title, content_hash, metadata, chunk_count",
                r => new DocumentRow(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt64(5)), unreadable),
            Chunks = ReadTable(connection, "chunks", "id, document_id, ordinal, text, start_offset, end_offset, heading_path, page, content_hash",
                r => new ChunkRow(r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetInt32(4), r.GetInt32(5), r.GetString(6),
                    r.IsDBNull(7) ? null : r.GetInt32(7), r.GetString(8)), unreadable),
            Embeddings = ReadTable(connection, "embeddings", "chunk_id, vector",
                r => new EmbeddingRow(r.GetInt64(0), MemoryMarshal.Cast<byte, float>((byte[])r.GetValue(1)).ToArray()), unreadable),
            Unreadable = unreadable,
        };
    }

    /// <summary>SQLite's own consistency check: "ok", or its findings (at most <paramref name="limit"/>).</summary>
    public static IReadOnlyList<string> IntegrityCheck(string path, string collectionName, int limit)
    {
        using var connection = OpenReadOnly(path, collectionName);
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA integrity_check({limit.ToString(CultureInfo.InvariantCulture)})";
        try
        {
            using var reader = command.ExecuteReader();
            var findings = new List<string>();
            while (reader.Read())
            {
                findings.Add(reader.GetString(0));
            }

            return findings;
        }
        catch (SqliteException ex)
        {
            return [$"the check itself failed: {ex.Message}"];
        }
    }

    /// <summary>The most common vector length, which the others are held to (0 when there are no vectors).</summary>
    public int CommonDimensions() =>
        Embeddings.Count == 0 ? 0 : Embeddings.GroupBy(e => e.Vector.Length).MaxBy(g => g.Count())!.Key;

    private static SqliteConnection OpenReadOnly(string path, string collectionName)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            using var probe = connection.CreateCommand();
            probe.CommandText = "SELECT COUNT(*) FROM sqlite_schema";
            probe.ExecuteScalar();
            return connection;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw new SiftException($"collection '{collectionName}': {path} cannot be read at all ({ex.Message}); nothing can be salvaged from it", ex);
        }
    }

    private static List<T> ReadTable<T>(SqliteConnection connection, string table, string columns, Func<SqliteDataReader, T> map, List<UnreadableRows> unreadable)
    {
        var rows = new List<T>();
        var first = TryScalar(connection, $"SELECT MIN(rowid) FROM {table}") ?? 1;
        var last = TryScalar(connection, $"SELECT MAX(rowid) FROM {table}")
            ?? (table == "chunks" ? TryScalar(connection, "SELECT seq FROM sqlite_sequence WHERE name = 'chunks'") : null);
        var emptyRanges = 0;
        for (var low = first; last is { } end ? low <= end : emptyRanges < EmptyRangesBeyondEnd; low += RangeSize)
        {
            var before = rows.Count;
            var lostBefore = unreadable.Count;
            ReadRange(connection, table, columns, map, low, low + RangeSize - 1, rows, unreadable);
            emptyRanges = rows.Count == before && unreadable.Count == lostBefore ? emptyRanges + 1 : 0;
        }

        return rows;
    }

    private static void ReadRange<T>(
        SqliteConnection connection, string table, string columns, Func<SqliteDataReader, T> map, long low, long high, List<T> rows, List<UnreadableRows> unreadable)
    {
        try
        {
            using var command = connection.CreateCommand();
            // One rowid is a direct seek, which never steps onto a neighbouring (possibly damaged) page.
            command.CommandText = low == high
                ? $"SELECT {columns} FROM {table} WHERE rowid = $low"
                : $"SELECT {columns} FROM {table} WHERE rowid BETWEEN $low AND $high";
            command.Parameters.AddWithValue("$low", low);
            command.Parameters.AddWithValue("$high", high);
            using var reader = command.ExecuteReader();
            var range = new List<T>();
            while (reader.Read())
            {
                range.Add(map(reader));
            }

            rows.AddRange(range);
        }
        catch (Exception ex) when (ex is SqliteException or InvalidCastException or FormatException or OverflowException or ArgumentException)
        {
            if (low == high)
            {
                Record(unreadable, table, low, ex.Message);
                return;
            }

            var middle = low + ((high - low) / 2);
            ReadRange(connection, table, columns, map, low, middle, rows, unreadable);
            ReadRange(connection, table, columns, map, middle + 1, high, rows, unreadable);
        }
    }

    private static void Record(List<UnreadableRows> unreadable, string table, long rowid, string reason)
    {
        if (unreadable.Count > 0 && unreadable[^1] is { } previous && previous.Table == table && previous.Last == rowid - 1)
        {
            unreadable[^1] = previous with { Last = rowid };
        }
        else
        {
            unreadable.Add(new UnreadableRows(table, rowid, rowid, reason));
        }
    }

    private static long? TryScalar(SqliteConnection connection, string sql)
    {
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            return command.ExecuteScalar() is long value ? value : null;
        }
        catch (SqliteException)
        {
            return null;
        }
    }
}

internal sealed record DocumentRow(string Id, string Source, string Title, string ContentHash, string Metadata, long ChunkCount);

internal sealed record ChunkRow(long Id, string DocumentId, int Ordinal, string Text, int Start, int End, string HeadingPath, int? Page, string ContentHash);

internal sealed record EmbeddingRow(long ChunkId, float[] Vector);

/// <summary>Rowids <see cref="First"/>..<see cref="Last"/> of a table that could not be read back.</summary>
public sealed record UnreadableRows(string Table, long First, long Last, string Reason);
