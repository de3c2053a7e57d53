using System.Text.RegularExpressions;

namespace Sift.Ingest.Chunking;

/// <summary>
/// The whitespace-separated words of a text as character spans: the token unit chunk sizes are measured in.
/// </summary>
internal sealed partial class WordSpans
{
    private readonly int[] _starts;
    private readonly int[] _ends;

    public WordSpans(string text)
    {
        // EnumerateMatches allocates no Match object per word: a 36 MB text has about six million of them.
        var starts = new List<int>(text.Length / 6);
        var ends = new List<int>(text.Length / 6);
        foreach (var match in Word().EnumerateMatches(text))
        {
            starts.Add(match.Index);
            ends.Add(match.Index + match.Length);
        }

        _starts = [.. starts];
        _ends = [.. ends];
    }

    public int Count => _starts.Length;

    public int Start(int word) => _starts[word];

    public int End(int word) => _ends[word];

    /// <summary>Index of the first word starting at or after <paramref name="offset"/>.</summary>
    public int FirstAtOrAfter(int offset)
    {
        var index = Array.BinarySearch(_starts, offset);
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
