namespace Sift.Core.Stages;

/// <summary>
/// Personal data or a secret found in a text: its type ("email", "card", "iban", ...), where it is, and whether a
/// checksum confirmed it (a card number that passes Luhn, an IBAN that passes mod-97).
/// </summary>
public sealed record PiiMatch(string Type, int Start, int Length, bool Checksummed)
{
    public string ValueIn(string text) => text.Substring(Start, Length);
}

/// <summary>A detector of personal data and secrets: every match in a text, in order, none overlapping.</summary>
public interface IPiiDetector
{
    /// <summary>Every type the detector reports, and which of them a checksum confirms.</summary>
    IReadOnlyDictionary<string, bool> Types { get; }

    IReadOnlyList<PiiMatch> Find(string text);
}
