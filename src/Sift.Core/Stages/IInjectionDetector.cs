namespace Sift.Core.Stages;

/// <summary>
/// What a guardrail detector found in a text: a score from 0 to 1, whether it reaches the detector's threshold, and
/// the evidence (the words that made it, as the detector read them) with why.
/// </summary>
public sealed record GuardrailFinding(string Detector, double Score, bool Flagged, string? Evidence = null, string? Reason = null)
{
    public static GuardrailFinding Clean(string detector) => new(detector, 0, false);
}

/// <summary>
/// A detector of prompt injection in text that reaches the model: a question (direct injection) or a document chunk
/// (indirect injection). Detectors are independent stages; a policy decides what a flag does.
/// </summary>
public interface IInjectionDetector
{
    string Name { get; }

    GuardrailFinding Inspect(string text);
}

/// <summary>Where one chunk of a document meets the next: an instruction split across the two reads whole here.</summary>
public static class InjectionBoundary
{
    /// <summary>The end of the first chunk and the start of the second, enough for a sentence either side.</summary>
    public static string Of(string first, string second, int window = 300) =>
        first[Math.Max(0, first.Length - window)..] + " " + second[..Math.Min(window, second.Length)];
}
