using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Sift.Index.Lexical;
using Sift.Index.Vectors;

namespace Sift.Index.Storage;

/// <summary>
/// <c>lexical.idx</c>: a collection's BM25 postings for one generation, with each slot's chunk, document and access
/// partition, so a new process searches without rebuilding the index from every stored chunk's terms or reading every
/// document. The file is memory-mapped: opening
/// it checks its checksum and copies the per-slot arrays, and queries read only the postings they need. Sections are
/// 8-byte aligned; an XxHash64 of every preceding byte ends the file.
/// </summary>
internal sealed class LexicalIndexFile
{
    public const string FileName = "lexical.idx";
    private const string Magic = "SIFTLEX1";
    // 2: slots in stable order (document id, then chunk ordinal), so tied scores rank the same on every store.
    private const int FormatVersion = 2;
    private const int Alignment = 8;

    private LexicalIndexFile(string collectionId, long generation, long lastChunkId, long[] chunkIds, string[] documentIds, Bm25Postings postings, AccessPartitions access)
    {
        CollectionId = collectionId;
        Generation = generation;
        LastChunkId = lastChunkId;
        ChunkIds = chunkIds;
        DocumentIds = documentIds;
        Postings = postings;
        Access = access;
    }

    public string CollectionId { get; }

    public long Generation { get; }

    /// <summary>The highest chunk id when written: with the generation, it tells a restored database from the one indexed.</summary>
    public long LastChunkId { get; }

    public long[] ChunkIds { get; }

    public string[] DocumentIds { get; }

    public Bm25Postings Postings { get; }

    /// <summary>The documents' access partitions at this generation, so opening the file needs no pass over the documents.</summary>
    public AccessPartitions Access { get; }

    /// <summary>Writes a new file beside <paramref name="path"/> and renames it over: readers see the old file or the new one.</summary>
    public static void Write(
        string path, string collectionId, long generation, long[] chunkIds, string[] documentIdBySlot, Bm25Postings postings, AccessPartitions access)
    {
        var documents = new Dictionary<string, int>(StringComparer.Ordinal);
        var documentOfSlot = new int[documentIdBySlot.Length];
        var documentText = new List<byte>();
        var documentOffsets = new List<int> { 0 };
        for (var slot = 0; slot < documentIdBySlot.Length; slot++)
        {
            if (!documents.TryGetValue(documentIdBySlot[slot], out var document))
            {
                document = documents[documentIdBySlot[slot]] = documents.Count;
                documentText.AddRange(Encoding.UTF8.GetBytes(documentIdBySlot[slot]));
                documentOffsets.Add(documentText.Count);
            }

            documentOfSlot[slot] = document;
        }

        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                using var hashing = new HashingStream(file, leaveOpen: true);
                using (var writer = new BinaryWriter(hashing, Encoding.UTF8, leaveOpen: true))
                {
                    var terms = postings.Terms;
                    var header = new Header(
                        collectionId, generation, chunkIds.Length == 0 ? 0 : chunkIds.Max(), access.Table, chunkIds.Length, documents.Count, documentText.Count,
                        terms.Count, terms.Text.Length, terms.Buckets.Length, postings.Slots.Length);
                    var position = header.Write(writer);
                    position = Section(writer, position, MemoryMarshal.AsBytes(documentOfSlot.AsSpan()));
                    position = Section(writer, position, MemoryMarshal.AsBytes(access.PartitionOfSlot.AsSpan()));
                    position = Section(writer, position, MemoryMarshal.AsBytes(chunkIds.AsSpan()));
                    position = Section(writer, position, MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(documentOffsets)));
                    position = Section(writer, position, CollectionsMarshal.AsSpan(documentText));
                    position = Section(writer, position, MemoryMarshal.AsBytes(postings.Lengths.AsSpan()));
                    position = Section(writer, position, MemoryMarshal.AsBytes(terms.Offsets.Span));
                    position = Section(writer, position, terms.Text.Span);
                    position = Section(writer, position, MemoryMarshal.AsBytes(terms.Buckets.Span));
                    position = Section(writer, position, MemoryMarshal.AsBytes(postings.Starts.Span));
                    position = Section(writer, position, MemoryMarshal.AsBytes(postings.Slots.Span));
                    Section(writer, position, MemoryMarshal.AsBytes(postings.Frequencies.Span));
                }

                file.Write(BitConverter.GetBytes(hashing.Hash));
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Maps and checks a file; <see cref="InvalidDataException"/> when it is damaged, truncated or of another format.</summary>
    public static LexicalIndexFile Open(string path)
    {
        var file = MappedFile.Open(path);
        if (file.Length < Alignment * 3 || !file.Bytes(0, Magic.Length).SequenceEqual(Encoding.ASCII.GetBytes(Magic)))
        {
            throw new InvalidDataException("not a Sift lexical index file");
        }

        var checksum = new XxHash64();
        var body = file.Length - sizeof(ulong);
        for (long offset = 0; offset < body; offset += 1 << 30)
        {
            checksum.Append(file.Bytes(offset, (int)Math.Min(1 << 30, body - offset)));
        }

        if (checksum.GetCurrentHashAsUInt64() != MemoryMarshal.Read<ulong>(file.Bytes(body, sizeof(ulong))))
        {
            throw new InvalidDataException("the checksum does not match: the file is damaged or was cut short");
        }

        var (header, position) = Header.Read(file);
        var documentOfSlot = Next<int>(file, ref position, header.Slots);
        var partitionOfSlot = Next<int>(file, ref position, header.Slots).ToArray();
        var chunkIds = Next<long>(file, ref position, header.Slots).ToArray();
        var documentOffsets = Next<int>(file, ref position, header.Documents + 1).Span;
        var documentText = Next<byte>(file, ref position, header.DocumentTextBytes).Span;
        var documents = new string[header.Documents];
        for (var d = 0; d < documents.Length; d++)
        {
            documents[d] = Encoding.UTF8.GetString(documentText[documentOffsets[d]..documentOffsets[d + 1]]);
        }

        var documentIds = new string[header.Slots];
        var slotDocuments = documentOfSlot.Span;
        for (var slot = 0; slot < documentIds.Length; slot++)
        {
            documentIds[slot] = documents[slotDocuments[slot]];
        }

        var lengths = Next<int>(file, ref position, header.Slots).ToArray();
        var terms = new TermTable(
            offsets: Next<int>(file, ref position, header.Terms + 1),
            text: Next<byte>(file, ref position, header.TermTextBytes),
            buckets: Next<int>(file, ref position, header.Buckets));
        var starts = Next<int>(file, ref position, header.Terms + 1);
        var postings = new Bm25Postings(terms, starts, Next<int>(file, ref position, header.Postings), Next<int>(file, ref position, header.Postings), lengths);
        if (position > body)
        {
            throw new InvalidDataException("the sections run past the checksum");
        }

        var access = AccessPartitions.Restore(partitionOfSlot, header.Partitions);
        return new LexicalIndexFile(header.CollectionId, header.Generation, header.LastChunkId, chunkIds, documentIds, postings, access);
    }

    private static long Section(BinaryWriter writer, long position, ReadOnlySpan<byte> bytes)
    {
        writer.Write(bytes);
        return Pad(writer, position + bytes.Length);
    }

    private static long Pad(BinaryWriter writer, long position)
    {
        for (; position % Alignment != 0; position++)
        {
            writer.Write((byte)0);
        }

        return position;
    }

    private static ReadOnlyMemory<T> Next<T>(MappedFile file, ref long position, int count) where T : unmanaged
    {
        var view = file.View<T>(position, count);
        position += (long)count * Marshal.SizeOf<T>();
        position += (Alignment - (position % Alignment)) % Alignment;
        return view;
    }

    /// <summary>What the file holds, and how much of each section.</summary>
    private sealed record Header(
        string CollectionId, long Generation, long LastChunkId, IReadOnlyList<(string? Acl, int Documents, int Chunks, string Digest)> Partitions,
        int Slots, int Documents, int DocumentTextBytes, int Terms, int TermTextBytes, int Buckets, int Postings)
    {
        public long Write(BinaryWriter writer)
        {
            using var buffer = new MemoryStream();
            using (var fields = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
            {
                fields.Write(CollectionId);
                fields.Write(Generation);
                fields.Write(LastChunkId);
                fields.Write(Partitions.Count);
                foreach (var (acl, documents, chunks, digest) in Partitions)
                {
                    fields.Write(acl is not null);
                    fields.Write(acl ?? "");
                    fields.Write(documents);
                    fields.Write(chunks);
                    fields.Write(digest);
                }

                foreach (var count in (int[])[Slots, Documents, DocumentTextBytes, Terms, TermTextBytes, Buckets, Postings])
                {
                    fields.Write(count);
                }
            }

            writer.Write(Encoding.ASCII.GetBytes(Magic));
            writer.Write(FormatVersion);
            writer.Write((int)buffer.Length);
            writer.Write(buffer.ToArray());
            return Pad(writer, Magic.Length + (2 * sizeof(int)) + buffer.Length);
        }

        public static (Header Header, long Position) Read(MappedFile file)
        {
            var version = MemoryMarshal.Read<int>(file.Bytes(Magic.Length, sizeof(int)));
            if (version is > 0 and < FormatVersion)
            {
                throw new OutdatedIndexFileException($"format {version}, this Sift reads format {FormatVersion}");
            }

            if (version != FormatVersion)
            {
                throw new InvalidDataException($"format {version}, this Sift reads format {FormatVersion}");
            }

            var length = MemoryMarshal.Read<int>(file.Bytes(Magic.Length + sizeof(int), sizeof(int)));
            var start = Magic.Length + (2 * sizeof(int));
            using var reader = new BinaryReader(new MemoryStream(file.Bytes(start, length).ToArray()), Encoding.UTF8);
            var (collectionId, generation, lastChunkId) = (reader.ReadString(), reader.ReadInt64(), reader.ReadInt64());
            var partitions = new (string?, int, int, string)[reader.ReadInt32()];
            for (var p = 0; p < partitions.Length; p++)
            {
                var hasAcl = reader.ReadBoolean();
                var acl = reader.ReadString();
                partitions[p] = (hasAcl ? acl : null, reader.ReadInt32(), reader.ReadInt32(), reader.ReadString());
            }

            var header = new Header(
                collectionId, generation, lastChunkId, partitions, reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(),
                reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32());
            var position = (long)start + length;
            return (header, position + ((Alignment - (position % Alignment)) % Alignment));
        }
    }
}

/// <summary>An index file written by an older Sift: a cache to rebuild, not damage to warn about.</summary>
public sealed class OutdatedIndexFileException(string message) : IOException(message);
