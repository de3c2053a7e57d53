using Sift.Core.Stages;

namespace Sift.Generation.Guardrails;

/// <summary>A retrieved passage a guardrail flagged: which, by which detector, how sure, why, and the words that made it.</summary>
public sealed record WithheldPassage(long ChunkId, string DocumentId, string Detector, double Score, string? Reason, string? Evidence);

/// <summary>Personal data found in one part of an answer ("question" or "answer"): its type and how many.</summary>
public sealed record PiiFound(string Where, string Type, int Count);

/// <summary>
/// The guardrail stages an answer passes through, under a collection's policy: the question screened for prompt
/// injection, retrieved passages screened for injected instructions (withheld or only recorded), and personal data
/// in the question and the answer found (recorded, or replaced by its type).
/// </summary>
public sealed class AnswerGuardrails(GuardrailPolicy policy, IReadOnlyList<IInjectionDetector> injection, IPiiDetector pii)
{
    public GuardrailPolicy Policy { get; } = policy;

    public bool ScreensInjection => Policy.Injection != InjectionAction.Off && injection.Count > 0;

    /// <summary>The strongest flag any detector raises on the question, or null (also when injection screening is off).</summary>
    public GuardrailFinding? ScreenQuestion(string question) => ScreensInjection ? Strongest(question) : null;

    /// <summary>
    /// The passages to give the model and those flagged: under "block" flagged passages are withheld, under "flag"
    /// they stay in the context and are only listed.
    /// </summary>
    public (RetrievalResults Kept, IReadOnlyList<WithheldPassage> Flagged) ScreenPassages(RetrievalResults retrieved)
    {
        if (!ScreensInjection)
        {
            return (retrieved, []);
        }

        var flagged = new List<WithheldPassage>();
        var kept = new List<RetrievedChunk>();
        foreach (var passage in retrieved)
        {
            if (Strongest(passage.Chunk.Title + "\n" + passage.Chunk.Text) is { } finding)
            {
                flagged.Add(new WithheldPassage(passage.Chunk.Id, passage.Chunk.DocumentId, finding.Detector, finding.Score, finding.Reason, finding.Evidence));
                if (Policy.Injection == InjectionAction.Block)
                {
                    continue;
                }
            }

            kept.Add(passage);
        }

        return flagged.Count == 0 || Policy.Injection == InjectionAction.Flag
            ? (retrieved, flagged)
            : (new RetrievalResults(kept, retrieved.Degraded, retrieved.QueryCoverage), flagged);
    }

    /// <summary>The text as policy lets it pass (redacted under "redact") and the personal data found in it, by type.</summary>
    public (string Text, IReadOnlyList<PiiFound> Found) ScreenPii(string where, string text)
    {
        if (Policy.Pii == PiiAction.Off)
        {
            return (text, []);
        }

        var matches = pii.Find(text);
        var found = matches.GroupBy(m => m.Type).Select(g => new PiiFound(where, g.Key, g.Count())).ToList();
        return (Policy.Pii == PiiAction.Redact ? PiiRedaction.Redact(text, matches) : text, found);
    }

    private GuardrailFinding? Strongest(string text) =>
        injection.Select(detector => detector.Inspect(text)).Where(f => f.Flagged).MaxBy(f => f.Score);
}
