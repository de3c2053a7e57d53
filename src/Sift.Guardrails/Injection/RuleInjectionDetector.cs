using System.Text.RegularExpressions;
using Sift.Core.Stages;

namespace Sift.Guardrails.Injection;

/// <summary>
/// Prompt injection by rules: phrases that address the model rather than the reader, matched in every reading of the
/// text (<see cref="InjectionText.Readings"/>: normalised, Base64 decoded, reversed). Each rule has a weight; the score
/// is the strongest rule found. Documentation talks to its reader too ("ignore the warning", "you must restart"), so
/// the rules name what only an instruction to a model says: overriding earlier instructions, changing the model's
/// role, steering "your response", or asking for the system prompt.
/// </summary>
public sealed partial class RuleInjectionDetector : IInjectionDetector
{
    public const double Threshold = 0.5;

    private static readonly (Regex Pattern, double Weight, string Reason)[] Rules =
    [
        (Override(), 0.95, "overrides earlier instructions"),
        (Role(), 0.85, "changes the model's role"),
        (Response(), 0.8, "steers the model's response"),
        (Extraction(), 0.9, "asks for the system prompt or hidden instructions"),
        (Assistant(), 0.6, "addresses the assistant"),
    ];

    public string Name => "rules";

    public GuardrailFinding Inspect(string text)
    {
        GuardrailFinding best = GuardrailFinding.Clean(Name);
        foreach (var reading in InjectionText.Readings(text))
        {
            foreach (var (pattern, weight, reason) in Rules)
            {
                if (weight > best.Score && pattern.Match(reading) is { Success: true } match)
                {
                    best = new GuardrailFinding(Name, weight, weight >= Threshold, match.Value, reason);
                }
            }
        }

        return best;
    }

    // Earlier instructions named as the model's ("previous", "your", "system"), or all of them: not "ignore the rules in
    // .gitignore" or "override the default rules", which manuals say.
    [GeneratedRegex(@"\b(ignore|disregard|forget|override|bypass)\b.{0,30}\b(previous|prior|above|earlier|preceding|initial|original|system|your)\b.{0,20}\b(instructions?|directions?|prompts?|rules|guidelines|context)\b|\b(ignore|disregard|forget)\b (all|any|everything)\b.{0,12}\b(instructions?|directions?|prompts?)\b")]
    private static partial Regex Override();

    // "Act as" only toward an assistant persona: proteins "act as a scaffold" in half a percent of scientific abstracts;
    // "developer mode" and "jailbreak" alone are phone settings and iOS history.
    [GeneratedRegex(@"\b(you are now|from now on,? you|pretend (to be|you are)|act as (my|an? (ai|assistant|chatbot|language model|unrestricted|unfiltered|uncensored|jailbroken|evil))\b|roleplay as|you are in developer mode|do anything now)")]
    private static partial Regex Role();

    // The model's own response ("your"): documentation says "the response must include a header" of HTTP responses.
    [GeneratedRegex(@"\byour (response|answer|reply|output|summary)\b.{0,40}\b(must|should|shall|needs? to)\b|\b(translate|rewrite|end|begin|start|finish|format|write|add|append|insert|include|respond|reply|answer)\b.{0,40}\byour (response|answer|reply|output)\b|\b(in|to|into) your (response|answer|reply|output|implementation|solution)\b")]
    private static partial Regex Response();

    // The model's instructions ("your", or hidden/initial ones): "print the system prompt" of a shell is not one.
    [GeneratedRegex(@"\b(reveal|print|show|repeat|output|leak|tell me|what (is|are))\b.{0,30}\b(your (system prompt|prompt|instructions|initial instructions|hidden instructions|rules)|(the|this) (hidden|initial|original|secret) (instructions?|prompt)|system prompt you)\b")]
    private static partial Regex Extraction();

    [GeneratedRegex(@"\b(dear|hey|hi|attention),? (ai|assistant|chatbot|language model|llm|gpt)\b|\b(as an? )?(ai|language model),? you (must|should|will)\b")]
    private static partial Regex Assistant();
}
