using Sift.Core;
using Sift.Core.Stages;
using Sift.Guardrails;
using Sift.Guardrails.Injection;
using Sift.Guardrails.Pii;

namespace Sift.Composition;

/// <summary>The guardrail detectors by name, for every front end alike.</summary>
public static class GuardrailDetectors
{
    public static IReadOnlyList<string> InjectionNames { get; } = ["rules"];

    /// <summary>The prompt-injection detectors named (every one when none is), in the order named.</summary>
    public static IReadOnlyList<IInjectionDetector> Injection(IReadOnlyCollection<string>? names = null) =>
        [.. (names is { Count: > 0 } ? names : InjectionNames).Select(name => name switch
        {
            "rules" => (IInjectionDetector)new RuleInjectionDetector(),
            _ => throw new InvalidOptionException("detectors", $"'{name}' is unknown (use {string.Join(", ", InjectionNames)})"),
        })];

    /// <summary>The personal-data detector (stateless: one serves every caller).</summary>
    public static IPiiDetector Pii { get; } = new RulePiiDetector();

    /// <summary>A question or query as records keep it: its personal data replaced under the "redact" policy.</summary>
    public static string AsRecorded(GuardrailPolicy policy, string text) =>
        policy.Pii == PiiAction.Redact ? PiiRedaction.Redact(text, Pii.Find(text)) : text;

    /// <summary>A collection's guardrails at ingest, under its policy.</summary>
    public static IChunkScreen IngestScreen(GuardrailPolicy policy) => new IngestScreen(policy, Injection(), Pii);
}
