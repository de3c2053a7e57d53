namespace Sift.Core;

/// <summary>
/// A setting the caller chose is out of range or unknown. The library names the option as words ("rerank depth");
/// each front end says it its own way (the CLI as its flag, <c>--rerank-depth</c>; the server as the request field),
/// through <see cref="Describe"/>.
/// </summary>
public sealed class InvalidOptionException(string option, string problem) : SiftException($"{option} {problem}")
{
    /// <summary>The option's name in words, e.g. "rerank depth".</summary>
    public string Option { get; } = option;

    /// <summary>What is wrong with the value, e.g. "must be at least 1 (got 0)".</summary>
    public string Problem { get; } = problem;

    /// <summary>The message with the option named as <paramref name="names"/> calls it (unchanged when it has no name for it).</summary>
    public string Describe(IReadOnlyDictionary<string, string> names) =>
        $"{(names.TryGetValue(Option, out var name) ? name : Option)} {Problem}";
}
