using System.Text;

namespace Sift.Core.Stages;

public static class PiiRedaction
{
    /// <summary>The text with each match replaced by its type in capitals ("[EMAIL]"); matches must not overlap.</summary>
    public static string Redact(string text, IReadOnlyList<PiiMatch> matches)
    {
        if (matches.Count == 0)
        {
            return text;
        }

        var redacted = new StringBuilder(text.Length);
        var at = 0;
        foreach (var match in matches.OrderBy(m => m.Start))
        {
            redacted.Append(text, at, match.Start - at).Append('[').Append(match.Type.ToUpperInvariant()).Append(']');
            at = match.Start + match.Length;
        }

        return redacted.Append(text, at, text.Length - at).ToString();
    }
}
