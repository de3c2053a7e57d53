using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Sift.Ingest.Chunking;

/// <summary>
/// The whitespace-separated words of a text as character spans: the token unit chunk sizes are measured in.
/// </summary>
internal sealed partial class WordSpans
{
    // Kept in the lists they were collected in (no copy) and lengths as bytes (a word is at most 64 characters):
    // about 5 bytes a word, the largest structure while a large document is chunked.
    private readonly List<int> _starts;
    private readonly List<byte> _lengths;

    public WordSpans(string text)
    {
        // EnumerateMatches allocates no Match object per word: a 36 MB text has about six million of them.
        _starts = new List<int>(text.Length / 6);
        _lengths = new List<byte>(text.Length / 6);
        foreach (var match in Word().EnumerateMatches(text))
        {
            _starts.Add(match.Index);
            _lengths.Add((byte)match.Length);
        }
    }

    public int Count => _starts.Count;

    public int Start(int word) => _starts[word];

    public int End(int word) => _starts[word] + _lengths[word];

    /// <summary>Index of the first word starting at or after <paramref name="offset"/>.</summary>
    public int FirstAtOrAfter(int offset)
    {
        var index = CollectionsMarshal.AsSpan(_starts).BinarySearch(offset);
        return index >= 0 ? index : ~index;
    }

    /// <summary>How many words start inside [start, end).</summary>
    public int CountIn(int start, int end) => FirstAtOrAfter(end) - FirstAtOrAfter(start);

    /// <summary>The longest run of non-space characters counted as one word.</summary>
    public const int MaxWordLength = 64;

    // A longer run (a URL, base64, a table without spaces) counts as several words, so it is cut like any other text
    // and no chunk grows past its size in words.
    [GeneratedRegex(@"\S{1,64}")]
    private static partial Regex Word();
}
