using System.IO.Hashing;
using System.Numerics;
using System.Text;

namespace Sift.Index.Lexical;

/// <summary>
/// Term to term id, as an open-addressing hash table over the terms' UTF-8 bytes. The layout is the same in memory
/// and in an index file, so a memory-mapped index answers lookups in place instead of building a dictionary of every
/// term when it is opened.
/// </summary>
internal sealed class TermTable
{
    private const int StackLimit = 256;

    internal TermTable(ReadOnlyMemory<byte> text, ReadOnlyMemory<int> offsets, ReadOnlyMemory<int> buckets)
    {
        if (offsets.Length == 0 || buckets.Length == 0 || !BitOperations.IsPow2(buckets.Length))
        {
            throw new ArgumentException("a term table needs offsets and a power-of-two number of buckets");
        }

        Text = text;
        Offsets = offsets;
        Buckets = buckets;
    }

    /// <summary>Every term's bytes, back to back in id order.</summary>
    internal ReadOnlyMemory<byte> Text { get; }

    /// <summary>Where each term starts in <see cref="Text"/>, plus the end of the last (Count + 1 entries).</summary>
    internal ReadOnlyMemory<int> Offsets { get; }

    /// <summary>Term id + 1 per bucket, 0 for an empty bucket; linear probing from the term's hash.</summary>
    internal ReadOnlyMemory<int> Buckets { get; }

    public int Count => Offsets.Length - 1;

    /// <summary>Lays out terms given in id order.</summary>
    public static TermTable Build(IReadOnlyList<string> terms)
    {
        var offsets = new int[terms.Count + 1];
        var text = new List<byte>();
        for (var id = 0; id < terms.Count; id++)
        {
            text.AddRange(Encoding.UTF8.GetBytes(terms[id]));
            offsets[id + 1] = text.Count;
        }

        // At most half full, so a miss ends after a probe or two.
        var buckets = new int[Math.Max(2, (int)BitOperations.RoundUpToPowerOf2((uint)terms.Count * 2))];
        var bytes = text.ToArray();
        for (var id = 0; id < terms.Count; id++)
        {
            var bucket = Home(bytes.AsSpan(offsets[id], offsets[id + 1] - offsets[id]), buckets.Length);
            while (buckets[bucket] != 0)
            {
                bucket = (bucket + 1) & (buckets.Length - 1);
            }

            buckets[bucket] = id + 1;
        }

        return new TermTable(bytes, offsets, buckets);
    }

    public bool TryGetId(string term, out int id)
    {
        var length = Encoding.UTF8.GetMaxByteCount(term.Length);
        Span<byte> buffer = length <= StackLimit ? stackalloc byte[StackLimit] : new byte[length];
        var key = buffer[..Encoding.UTF8.GetBytes(term, buffer)];
        var text = Text.Span;
        var offsets = Offsets.Span;
        var buckets = Buckets.Span;
        for (var bucket = Home(key, buckets.Length); buckets[bucket] != 0; bucket = (bucket + 1) & (buckets.Length - 1))
        {
            id = buckets[bucket] - 1;
            if (text[offsets[id]..offsets[id + 1]].SequenceEqual(key))
            {
                return true;
            }
        }

        id = -1;
        return false;
    }

    private static int Home(ReadOnlySpan<byte> key, int buckets) => (int)(XxHash3.HashToUInt64(key) & (uint)(buckets - 1));
}
