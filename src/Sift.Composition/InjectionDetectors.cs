using Sift.Core;
using Sift.Core.Stages;
using Sift.Guardrails.Injection;

namespace Sift.Composition;

/// <summary>The prompt-injection detectors by name, for every front end alike.</summary>
public static class InjectionDetectors
{
    public static IReadOnlyList<string> Names { get; } = ["rules"];

    /// <summary>The detectors named (every one when none is), in the order named.</summary>
    public static IReadOnlyList<IInjectionDetector> Create(IReadOnlyCollection<string>? names = null) =>
        [.. (names is { Count: > 0 } ? names : Names).Select(name => name switch
        {
            "rules" => (IInjectionDetector)new RuleInjectionDetector(),
            _ => throw new InvalidOptionException("detectors", $"'{name}' is unknown (use {string.Join(", ", Names)})"),
        })];
}
