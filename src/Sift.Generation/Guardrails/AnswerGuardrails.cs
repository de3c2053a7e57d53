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

    /// <summary>
    /// A question may steer its own answer ("reply in French") and address the assistant: only what overrides the
    /// model's instructions, changes its role or asks for them scores this high.
    /// </summary>
    public const double QuestionThreshold = 0.85;

    /// <summary>The strongest flag on the question that reaches <see cref="QuestionThreshold"/>, or null (also when injection screening is off).</summary>
    public GuardrailFinding? ScreenQuestion(string question) =>
        ScreensInjection && Strongest(question) is { Score: >= QuestionThreshold } finding ? finding : null;

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
        var findings = retrieved.Select(p => Strongest(p.Chunk.Title + "\n" + p.Chunk.Text)).ToArray();
        // An instruction split across two chunks of a document reads whole where they meet: both are flagged.
        var ids = retrieved.Select((p, i) => (p.Chunk.Id, i)).ToDictionary(x => x.Id, x => x.i);
        for (var i = 0; i < retrieved.Count; i++)
        {
            if (ids.TryGetValue(retrieved[i].Chunk.Id + 1, out var next) && retrieved[next].Chunk.DocumentId == retrieved[i].Chunk.DocumentId
                && (findings[i] ?? findings[next]) is null
                && Strongest(InjectionBoundary.Of(retrieved[i].Chunk.Text, retrieved[next].Chunk.Text)) is { } across)
            {
                findings[i] = findings[next] = across with { Reason = $"{across.Reason} (across two passages)" };
            }
        }

        var kept = new List<RetrievedChunk>();
        for (var i = 0; i < retrieved.Count; i++)
        {
            var passage = retrieved[i];
            if (findings[i] is { } finding)
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

    /// <summary>
    /// Under "redact", the passages with their personal data replaced (text, title and headings) before the model or a
    /// citation sees them: chunks stored before the policy changed are redacted here until the next ingest does it.
    /// </summary>
    public (RetrievalResults Passages, IReadOnlyList<PiiFound> Found) RedactPassages(RetrievalResults retrieved)
    {
        if (Policy.Pii != PiiAction.Redact)
        {
            return (retrieved, []);
        }

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        string Redact(string text)
        {
            var matches = pii.Find(text);
            foreach (var match in matches)
            {
                counts[match.Type] = counts.GetValueOrDefault(match.Type) + 1;
            }

            return PiiRedaction.Redact(text, matches);
        }

        var redacted = retrieved.Select(r => r with
        {
            Chunk = r.Chunk with { Text = Redact(r.Chunk.Text), Title = Redact(r.Chunk.Title), HeadingPath = [.. r.Chunk.HeadingPath.Select(Redact)] },
        }).ToList();
        return counts.Count == 0
            ? (retrieved, [])
            : (new RetrievalResults(redacted, retrieved.Degraded, retrieved.QueryCoverage), [.. counts.Select(c => new PiiFound("passages", c.Key, c.Value))]);
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
