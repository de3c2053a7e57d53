using System.Runtime.InteropServices;
using System.Text;
using Sift.Core;

namespace Sift.Index.Vectors;

/// <summary>
/// The on-disk form: options, nodes, graph and a caller's header, followed by an XxHash64 of every preceding byte,
/// so a damaged or truncated file is detected instead of searched.
/// </summary>
public sealed partial class VectorIndex
{
    private const string Magic = "SIFTVEC1";

    /// <summary>2: the collection's header gained its collection id (files copied between collections are refused).</summary>
    private const int FormatVersion = 2;

    /// <summary>Writes the index; <paramref name="writeHeader"/> adds the caller's own fields after the magic.</summary>
    public void Save(Stream destination, Action<BinaryWriter> writeHeader)
    {
        // Blocks writers while saving, so no link points at a node being added (Load refuses such a file).
        lock (_writeLock)
        {
            SaveLocked(destination, writeHeader);
        }
    }

    private void SaveLocked(Stream destination, Action<BinaryWriter> writeHeader)
    {
        var state = _state;
        var count = state.Count;
        using var hashing = new HashingStream(destination, leaveOpen: true);
        using (var writer = new BinaryWriter(hashing, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Encoding.ASCII.GetBytes(Magic));
            writer.Write(FormatVersion);
            writeHeader(writer);
            writer.Write(Options.Dimensions);
            writer.Write(Options.M);
            writer.Write(Options.EfConstruction);
            writer.Write(Options.EfSearch);
            writer.Write(Options.Seed);
            writer.Write(Options.Quantize);
            writer.Write(Options.BuildGraph);
            writer.Write(count);
            writer.Write(state.EntryPoint);
            writer.Write(state.MaxLevel);
            writer.Write(MemoryMarshal.AsBytes(state.Vectors.AsSpan(0, count * Dimensions)));
            if (state.Codes is not null)
            {
                // The file keeps codes and scales apart, as it did before they were interleaved in memory.
                for (var node = 0; node < count; node++)
                {
                    writer.Write(MemoryMarshal.AsBytes(state.CodeRow(node)));
                }

                for (var node = 0; node < count; node++)
                {
                    writer.Write(state.Scale(node));
                }
            }

            writer.Write(MemoryMarshal.AsBytes(state.Levels.AsSpan(0, count)));
            writer.Write(state.Deleted.AsSpan(0, count));
            for (var node = 0; node < count; node++)
            {
                for (var level = 0; level <= state.Levels[node]; level++)
                {
                    var links = state.Links(node, level);
                    writer.Write(links.Length);
                    writer.Write(MemoryMarshal.AsBytes(links));
                }
            }
        }

        destination.Write(BitConverter.GetBytes(hashing.Hash));
    }

    /// <summary>Reads an index written by <see cref="Save"/>; throws <see cref="SiftException"/> when the file is damaged.</summary>
    public static VectorIndex Load(Stream source, Action<BinaryReader> readHeader, string description)
    {
        try
        {
            using var hashing = new HashingStream(source, leaveOpen: true);
            using var reader = new BinaryReader(hashing, Encoding.UTF8, leaveOpen: true);
            if (Encoding.ASCII.GetString(reader.ReadBytes(Magic.Length)) != Magic)
            {
                throw Damaged(description, "not a Sift vector index");
            }

            var version = reader.ReadInt32();
            if (version != FormatVersion)
            {
                throw new VectorIndexFormatException($"{description} has format {version}, this Sift reads format {FormatVersion}");
            }

            readHeader(reader);
            var options = new VectorIndexOptions(
                reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadBoolean(), reader.ReadBoolean());
            options.Validate();
            var count = reader.ReadInt32();
            var index = new VectorIndex(options);
            var state = new State(options.Dimensions, options.M, Math.Max(count, 1), options.Quantize)
            {
                Count = count,
                EntryPoint = reader.ReadInt32(),
                MaxLevel = reader.ReadInt32(),
            };
            ReadExactly(reader, MemoryMarshal.AsBytes(state.Vectors.AsSpan(0, count * options.Dimensions)));
            if (state.Codes is not null)
            {
                for (var node = 0; node < count; node++)
                {
                    ReadExactly(reader, MemoryMarshal.AsBytes(state.Codes.AsSpan(node * state.CodeStride, options.Dimensions)));
                }

                for (var node = 0; node < count; node++)
                {
                    state.SetScale(node, reader.ReadSingle());
                }
            }

            ReadExactly(reader, MemoryMarshal.AsBytes(state.Levels.AsSpan(0, count)));
            ReadExactly(reader, state.Deleted.AsSpan(0, count));
            for (var node = 0; node < count; node++)
            {
                var levels = state.Levels[node];
                if (levels is < 0 or > 64)
                {
                    throw Damaged(description, $"node {node} has an impossible level {levels}");
                }

                state.UpperLinks[node] = new int[levels][];
                for (var level = 0; level <= levels; level++)
                {
                    var length = reader.ReadInt32();
                    if (length < 0 || length > 2 * options.M)
                    {
                        throw Damaged(description, $"node {node} has {length} links");
                    }

                    var links = new int[length];
                    ReadExactly(reader, MemoryMarshal.AsBytes(links.AsSpan()));
                    if (links.AsSpan().ContainsAnyExceptInRange(0, count - 1))
                    {
                        throw Damaged(description, $"node {node} links to a node that does not exist");
                    }

                    state.SetLinks(node, level, links);
                }
            }

            var entry = state.EntryPoint;
            if (options.BuildGraph && count > 0 && (entry < 0 || entry >= count || state.MaxLevel != state.Levels[entry]))
            {
                throw Damaged(description, $"entry point {state.EntryPoint} at level {state.MaxLevel} is not a node of that level");
            }

            var computed = hashing.Hash;
            Span<byte> stored = stackalloc byte[8];
            source.ReadExactly(stored);
            if (BitConverter.ToUInt64(stored) != computed)
            {
                throw Damaged(description, "checksum mismatch");
            }

            index._state = state;
            index.DeletedCount = state.Deleted.AsSpan(0, count).Count((byte)1);
            // Continue the level sequence where the saved build stopped, so adding after a reload matches adding in one go.
            for (var i = 0; i < count; i++)
            {
                index._random.NextDouble();
            }

            return index;
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException or ArgumentException or OverflowException or OutOfMemoryException)
        {
            throw Damaged(description, ex is EndOfStreamException ? "the file is truncated" : ex.Message);
        }
    }

    private static SiftException Damaged(string description, string reason) => new($"{description} is damaged ({reason})");

    private static void ReadExactly(BinaryReader reader, Span<byte> destination) => reader.BaseStream.ReadExactly(destination);
}

/// <summary>A vector index file written in another format version: not damage, just a cache to rebuild.</summary>
public sealed class VectorIndexFormatException(string message) : SiftException(message);
