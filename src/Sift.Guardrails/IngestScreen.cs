using System.Globalization;
using Sift.Core.Documents;
using Sift.Core.Stages;

namespace Sift.Guardrails;

/// <summary>
/// A collection's guardrail policy at ingest. Prompt injection: each chunk inspected; a flagged chunk is stored (it stays
/// searchable and visible) and named in the document's <c>guardrail.injection</c> metadata, and answers keep it from the
/// model under "block". Personal data: counted by type in <c>guardrail.pii</c>, and under "redact" replaced by its type
/// before the chunk is embedded or stored.
/// </summary>
public sealed class IngestScreen(GuardrailPolicy policy, IReadOnlyList<IInjectionDetector> injection, IPiiDetector pii) : IChunkScreen
{
    public const string InjectionKey = IChunkScreen.MetadataPrefix + "injection";
    public const string PiiKey = IChunkScreen.MetadataPrefix + "pii";

    public string Fingerprint { get; } = $"injection={policy.Injection}:{string.Join('+', injection.Select(d => d.Name))};pii={policy.Pii}".ToLowerInvariant();

    public ScreenedChunks Screen(string documentId, IReadOnlyList<Chunk> chunks)
    {
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        var notices = new List<string>();
        if (policy.Injection != InjectionAction.Off && injection.Count > 0)
        {
            var flagged = chunks
                .Select(chunk => (chunk, Finding: injection.Select(d => d.Inspect(chunk.Text)).Where(f => f.Flagged).MaxBy(f => f.Score)))
                .Where(x => x.Finding is not null)
                .Select(x => string.Create(CultureInfo.InvariantCulture, $"chunk {x.chunk.Ordinal}: {x.Finding!.Detector} {x.Finding.Score:0.00} {x.Finding.Reason}"))
                .ToList();
            if (flagged.Count > 0)
            {
                flags[InjectionKey] = string.Join("; ", flagged);
                notices.Add($"{documentId}: {flagged.Count} chunk(s) flagged as possible prompt injection ({flagged[0]}{(flagged.Count > 1 ? ", ..." : "")})");
            }
        }

        if (policy.Pii == PiiAction.Off)
        {
            return new ScreenedChunks(chunks, flags, notices);
        }

        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var screened = chunks.Select(chunk =>
        {
            var matches = pii.Find(chunk.Text);
            foreach (var match in matches)
            {
                counts[match.Type] = counts.GetValueOrDefault(match.Type) + 1;
            }

            if (policy.Pii != PiiAction.Redact || matches.Count == 0)
            {
                return chunk;
            }

            var text = PiiRedaction.Redact(chunk.Text, matches);
            return chunk with { Text = text, ContentHash = ContentHash.Of(text) };
        }).ToList();
        if (counts.Count > 0)
        {
            flags[PiiKey] = string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}")) + (policy.Pii == PiiAction.Redact ? " (redacted)" : "");
        }

        return new ScreenedChunks(screened, flags, notices);
    }
}
