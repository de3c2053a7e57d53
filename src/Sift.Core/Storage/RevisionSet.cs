namespace Sift.Core.Storage;

/// <summary>
/// A version's manifest as stored: the ascending ids of the document revisions it holds, as gaps in LEB128 varints.
/// Revisions are numbered in write order, so a version's ids are mostly consecutive and most gaps take one byte: a
/// manifest costs about a byte per document, which is what a version adds when nothing else changed.
/// </summary>
public static class RevisionSet
{
    public static byte[] Encode(IReadOnlyList<long> ascending)
    {
        using var buffer = new MemoryStream(ascending.Count + 8);
        var previous = 0L;
        foreach (var revision in ascending)
        {
            if (revision <= previous)
            {
                throw new ArgumentException($"revisions must ascend and be positive ({revision} after {previous})", nameof(ascending));
            }

            var gap = (ulong)(revision - previous);
            while (gap >= 0x80)
            {
                buffer.WriteByte((byte)(gap | 0x80));
                gap >>= 7;
            }

            buffer.WriteByte((byte)gap);
            previous = revision;
        }

        return buffer.ToArray();
    }

    public static long[] Decode(ReadOnlySpan<byte> encoded)
    {
        var revisions = new List<long>(encoded.Length);
        var (previous, gap, shift) = (0L, 0UL, 0);
        foreach (var b in encoded)
        {
            gap |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) != 0)
            {
                shift += 7;
                continue;
            }

            previous += (long)gap;
            revisions.Add(previous);
            (gap, shift) = (0, 0);
        }

        return [.. revisions];
    }
}
