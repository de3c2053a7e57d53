using System.Runtime.InteropServices;

namespace Sift.Index.Lexical;

/// <summary>
/// What a BM25 index is built from and what it persists: the term table, each term's postings (slots in ascending
/// order with their term frequencies) and each slot's length. Independent of BM25 parameters and access partitions,
/// so one copy serves any of them. Backed by arrays when built, or by a memory-mapped file when loaded (only the
/// pages a query touches are then read).
/// </summary>
public sealed class Bm25Postings
{
    internal Bm25Postings(TermTable terms, ReadOnlyMemory<int> starts, ReadOnlyMemory<int> slots, ReadOnlyMemory<int> frequencies, int[] lengths)
    {
        if (starts.Length != terms.Count + 1 || slots.Length != frequencies.Length)
        {
            throw new ArgumentException($"postings for {starts.Length - 1} terms, {slots.Length} slots and {frequencies.Length} frequencies do not fit {terms.Count} terms");
        }

        Terms = terms;
        Starts = starts;
        Slots = slots;
        Frequencies = frequencies;
        Lengths = lengths;
    }

    internal TermTable Terms { get; }

    /// <summary>Where each term's postings start in <see cref="Slots"/>, plus the end of the last.</summary>
    internal ReadOnlyMemory<int> Starts { get; }

    internal ReadOnlyMemory<int> Slots { get; }

    internal ReadOnlyMemory<int> Frequencies { get; }

    /// <summary>Each slot's length in terms.</summary>
    internal int[] Lengths { get; }

    public int Count => Lengths.Length;

    /// <summary>True when read from an index file rather than built in this process.</summary>
    public bool IsMapped => !MemoryMarshal.TryGetArray(Slots, out _);

    /// <summary>Indexes each entry's analyzed terms, in slot order.</summary>
    public static Bm25Postings Build(IEnumerable<IReadOnlyList<string>> entries)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var terms = new List<string>();
        var lengths = new List<int>();
        var pairEnds = new List<int>();
        var pairTerms = new List<int>();
        var pairCounts = new List<int>();
        var counts = new Dictionary<int, int>();
        foreach (var entry in entries)
        {
            lengths.Add(entry.Count);
            counts.Clear();
            foreach (var term in entry)
            {
                if (!ids.TryGetValue(term, out var id))
                {
                    id = ids[term] = terms.Count;
                    terms.Add(term);
                }

                counts[id] = counts.GetValueOrDefault(id) + 1;
            }

            foreach (var (id, count) in counts)
            {
                pairTerms.Add(id);
                pairCounts.Add(count);
            }

            pairEnds.Add(pairTerms.Count);
        }

        // Counting sort of the (slot, term) pairs by term; walking slots in order keeps each posting list ascending.
        var starts = new int[terms.Count + 1];
        foreach (var id in pairTerms)
        {
            starts[id + 1]++;
        }

        for (var id = 0; id < terms.Count; id++)
        {
            starts[id + 1] += starts[id];
        }

        var next = starts[..^1];
        var slots = new int[pairTerms.Count];
        var frequencies = new int[pairTerms.Count];
        for (int slot = 0, pair = 0; slot < pairEnds.Count; slot++)
        {
            for (; pair < pairEnds[slot]; pair++)
            {
                var position = next[pairTerms[pair]]++;
                slots[position] = slot;
                frequencies[position] = pairCounts[pair];
            }
        }

        return new Bm25Postings(TermTable.Build(terms), starts, slots, frequencies, [.. lengths]);
    }

    internal bool TryGetTerm(string term, out int termId) => Terms.TryGetId(term, out termId);

    /// <summary>The slots holding a term, ascending.</summary>
    internal ReadOnlySpan<int> SlotsOf(int termId) => Slots.Span[Range(termId)];

    /// <summary>The term's frequency in each of <see cref="SlotsOf"/>.</summary>
    internal ReadOnlySpan<int> FrequenciesOf(int termId) => Frequencies.Span[Range(termId)];

    private Range Range(int termId)
    {
        var starts = Starts.Span;
        return starts[termId]..starts[termId + 1];
    }
}
