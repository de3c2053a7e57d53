using System.Globalization;
using System.Text;

namespace Sift.Guardrails.Injection;

/// <summary>
/// Text as an injection detector should read it: full-width and mathematical-styled letters folded to plain ones (by
/// hand: Sift runs with invariant globalization, without ICU's normalisation), invisible format characters removed (zero-width spaces and joiners, bidirectional controls), common
/// look-alike letters from Cyrillic and Greek mapped to Latin, digits and symbols used as letters ("1gn0re") read as
/// letters inside words, lower case, runs of white space as one space; and the hidden readings an attacker uses:
/// Base64 runs decoded, and the text reversed.
/// </summary>
public static partial class InjectionText
{
    private static readonly Dictionary<char, char> LookAlikes = new()
    {
        ['а'] = 'a', ['е'] = 'e', ['о'] = 'o', ['р'] = 'p', ['с'] = 'c', ['у'] = 'y', ['х'] = 'x', ['і'] = 'i', ['ј'] = 'j', ['ѕ'] = 's',
        ['α'] = 'a', ['ε'] = 'e', ['ο'] = 'o', ['ρ'] = 'p', ['ι'] = 'i', ['κ'] = 'k', ['ν'] = 'v', ['τ'] = 't', ['υ'] = 'u',
        ['ı'] = 'i', ['ɡ'] = 'g', ['ɑ'] = 'a', ['ȷ'] = 'j', ['ℊ'] = 'g', ['ℎ'] = 'h', ['ℓ'] = 'l', ['ℯ'] = 'e', ['ℴ'] = 'o',
        ['ℬ'] = 'b', ['ℰ'] = 'e', ['ℱ'] = 'f', ['ℋ'] = 'h', ['ℐ'] = 'i', ['ℒ'] = 'l', ['ℳ'] = 'm', ['ℛ'] = 'r', ['ℭ'] = 'c', ['ℌ'] = 'h',
        ['ℑ'] = 'i', ['ℜ'] = 'r', ['ℨ'] = 'z', ['ℂ'] = 'c', ['ℍ'] = 'h', ['ℕ'] = 'n', ['ℙ'] = 'p', ['ℚ'] = 'q', ['ℝ'] = 'r', ['ℤ'] = 'z',
    };

    private static readonly Dictionary<char, char> Leet = new()
    {
        ['0'] = 'o', ['1'] = 'i', ['3'] = 'e', ['4'] = 'a', ['5'] = 's', ['7'] = 't', ['@'] = 'a', ['$'] = 's', ['!'] = 'i',
    };

    /// <summary>The text normalised as described above.</summary>
    public static string Normalize(string text)
    {
        var compatible = FoldStyledLetters(text);
        var result = new StringBuilder(compatible.Length);
        var space = false;
        for (var i = 0; i < compatible.Length; i++)
        {
            var c = compatible[i];
            // Invisible: format characters (zero-width, bidirectional controls), combining accents ("i\u0301gnore"),
            // and the Hangul fillers that render as blanks.
            if (CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
                || c is '\u115F' or '\u1160' or '\u3164' or '\uFFA0')
            {
                continue;
            }

            if (char.IsWhiteSpace(c))
            {
                space = result.Length > 0;
                continue;
            }

            if (space)
            {
                result.Append(' ');
                space = false;
            }

            c = char.ToLowerInvariant(c);
            c = LookAlikes.GetValueOrDefault(c, c);
            // A digit or symbol read as a letter only between letters or beside one inside a word: "1gn0re" but not "2024".
            if (Leet.TryGetValue(c, out var letter) && InWord(compatible, i))
            {
                c = letter;
            }

            result.Append(c);
        }

        return result.ToString();
    }

    /// <summary>
    /// The normalised text, then each hidden reading of it: single dots, hyphens, underscores and asterisks between
    /// letters removed ("i.g.n.o.r.e", "prev-ious"), Base64 runs decoded to text, and the text reversed.
    /// </summary>
    public static IEnumerable<string> Readings(string text)
    {
        var normalized = Normalize(text);
        yield return normalized;
        var joined = SplitLetters().Replace(normalized, "");
        if (joined != normalized)
        {
            yield return joined;
        }

        foreach (var decoded in Base64Runs(text))
        {
            yield return Normalize(decoded);
        }

        var reversed = text.ToCharArray();
        Array.Reverse(reversed);
        yield return Normalize(new string(reversed));
    }

    /// <summary>Full-width forms (U+FF01-FF5E) and the mathematical alphanumeric letters (U+1D400-1D6A3) as ASCII.</summary>
    private static string FoldStyledLetters(string text)
    {
        var folded = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            var value = rune.Value;
            if (value is >= 0xFF01 and <= 0xFF5E)
            {
                folded.Append((char)(value - 0xFEE0));
            }
            else if (value is >= 0xE0000 and <= 0xE007F)
            {
                // Tag characters: invisible, and a pair of surrogates, so the per-character check above never sees them.
            }
            else if (value is >= 0x1D400 and <= 0x1D6A3)
            {
                // Thirteen styles (bold, italic, script, ...) of A-Z then a-z, 52 letters each.
                var letter = (value - 0x1D400) % 52;
                folded.Append((char)(letter < 26 ? 'A' + letter : 'a' + (letter - 26)));
            }
            else
            {
                folded.Append(rune.ToString());
            }
        }

        return folded.ToString();
    }

    private static bool InWord(string text, int i)
    {
        var before = i > 0 && char.IsLetter(text[i - 1]);
        var after = i + 1 < text.Length && char.IsLetter(text[i + 1]);
        return before || after;
    }

    /// <summary>Runs of 16 or more Base64 characters that decode to mostly printable text.</summary>
    private static IEnumerable<string> Base64Runs(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inRun = i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '+' or '/' or '=');
            if (inRun && start < 0)
            {
                start = i;
            }
            else if (!inRun && start >= 0)
            {
                var run = text[start..i];
                start = -1;
                // A character or three glued in front ("x" + Base64) shift the alignment: try each start.
                if (run.Length >= 16 && Enumerable.Range(0, 4).Select(skip => Decode(run[skip..])).FirstOrDefault(d => d is not null) is { } decoded)
                {
                    yield return decoded;
                }
            }
        }
    }

    private static string? Decode(string run)
    {
        var padded = run.TrimEnd('=');
        padded += new string('=', (4 - (padded.Length % 4)) % 4);
        var buffer = new byte[padded.Length];
        if (!Convert.TryFromBase64String(padded, buffer, out var written) || written == 0)
        {
            return null;
        }

        var decoded = Encoding.UTF8.GetString(buffer, 0, written);
        var printable = decoded.Count(c => !char.IsControl(c) || char.IsWhiteSpace(c));
        return printable >= decoded.Length * 0.9 && decoded.Any(char.IsLetter) ? decoded : null;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<=\p{L})[.\-_*](?=\p{L})")]
    private static partial System.Text.RegularExpressions.Regex SplitLetters();
}
