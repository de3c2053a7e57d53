using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace Sift.Index.Storage;

/// <summary>
/// A whole file mapped read-only, handing out typed views of it as <see cref="ReadOnlyMemory{T}"/>. Each view keeps
/// the mapping alive, so a searcher holding an old index keeps reading valid memory after the file was replaced; the
/// mapping goes when nothing refers to it any more.
/// </summary>
internal sealed unsafe class MappedFile
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;

    private MappedFile(MemoryMappedFile file, MemoryMappedViewAccessor view, long length)
    {
        _file = file;
        _view = view;
        Length = length;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        Pointer = pointer + view.PointerOffset;
    }

    ~MappedFile()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    public long Length { get; }

    public byte* Pointer { get; }

    public static MappedFile Open(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        var length = stream.Length;
        if (length == 0)
        {
            throw new InvalidDataException("the file is empty");
        }

        var file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        return new MappedFile(file, file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read), length);
    }

    /// <summary>Bytes [offset, offset + length) as a span (length below 2 GiB).</summary>
    public ReadOnlySpan<byte> Bytes(long offset, int length)
    {
        CheckRange(offset, length);
        return new ReadOnlySpan<byte>(Pointer + offset, length);
    }

    /// <summary><paramref name="count"/> values of <typeparamref name="T"/> from <paramref name="offset"/>, as memory that keeps this mapping alive.</summary>
    public ReadOnlyMemory<T> View<T>(long offset, int count) where T : unmanaged
    {
        CheckRange(offset, (long)count * sizeof(T));
        return new Section<T>(this, offset, count).Memory;
    }

    private void CheckRange(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset + length > Length)
        {
            throw new InvalidDataException($"the file ends at byte {Length:N0}, before a section at {offset:N0} of {length:N0} bytes");
        }
    }

    private sealed class Section<T>(MappedFile file, long offset, int count) : MemoryManager<T> where T : unmanaged
    {
        public override Span<T> GetSpan() => new(file.Pointer + offset, count);

        public override MemoryHandle Pin(int elementIndex = 0) => new((T*)(file.Pointer + offset) + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
