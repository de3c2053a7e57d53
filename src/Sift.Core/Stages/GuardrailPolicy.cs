namespace Sift.Core.Stages;

/// <summary>What a prompt-injection flag does: nothing (not screened), recorded only, or the text kept from the model.</summary>
public enum InjectionAction
{
    Off,
    Flag,
    Block,
}

/// <summary>What found personal data does: nothing (not screened), recorded only, or replaced by its type ("[EMAIL]").</summary>
public enum PiiAction
{
    Off,
    Flag,
    Redact,
}

/// <summary>
/// A collection's guardrail policy. Injection screening blocks by default (a flagged passage never reaches the model,
/// a flagged question is refused); personal data is flagged by default (recorded in the answer, not changed).
/// </summary>
public sealed record GuardrailPolicy(InjectionAction Injection = InjectionAction.Block, PiiAction Pii = PiiAction.Flag)
{
    public static GuardrailPolicy Default { get; } = new();

    public static IReadOnlyList<string> InjectionNames { get; } = ["off", "flag", "block"];

    public static IReadOnlyList<string> PiiNames { get; } = ["off", "flag", "redact"];

    /// <summary>The policy a collection's settings name (null: the default), refusing names that are none.</summary>
    public static GuardrailPolicy Parse(string? injection, string? pii) => new(
        injection switch
        {
            null => Default.Injection,
            "off" => InjectionAction.Off,
            "flag" => InjectionAction.Flag,
            "block" => InjectionAction.Block,
            _ => throw new InvalidOptionException("injection policy", $"must be {string.Join(" | ", InjectionNames)} (got '{injection}')"),
        },
        pii switch
        {
            null => Default.Pii,
            "off" => PiiAction.Off,
            "flag" => PiiAction.Flag,
            "redact" => PiiAction.Redact,
            _ => throw new InvalidOptionException("PII policy", $"must be {string.Join(" | ", PiiNames)} (got '{pii}')"),
        });
}
