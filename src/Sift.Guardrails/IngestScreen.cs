using System.Globalization;
using Sift.Core.Documents;
using Sift.Core.Stages;

namespace Sift.Guardrails;

/// <summary>
/// A collection's guardrail policy at ingest. Prompt injection: each chunk inspected; a flagged chunk is stored (it stays
/// searchable and visible) and named in the document's <c>guardrail.injection</c> metadata, and answers keep it from the
/// model under "block". Personal data: counted by type in <c>guardrail.pii</c>, and under "redact" replaced by its type
/// in the title, the headings and the text before the chunk is embedded or stored.
/// </summary>
public sealed class IngestScreen(GuardrailPolicy policy, IReadOnlyList<IInjectionDetector> injection, IPiiDetector pii) : IChunkScreen
{
    public const string InjectionKey = IChunkScreen.MetadataPrefix + "injection";
    public const string PiiKey = IChunkScreen.MetadataPrefix + "pii";

    public string Fingerprint { get; } = $"injection={policy.Injection}:{string.Join('+', injection.Select(d => d.Name))};pii={policy.Pii}".ToLowerInvariant();

    public ScreenedChunks Screen(string documentId, string title, IReadOnlyList<Chunk> chunks)
    {
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        var notices = new List<string>();
        if (policy.Injection != InjectionAction.Off && injection.Count > 0)
        {
            GuardrailFinding? Strongest(string text) => injection.Select(d => d.Inspect(text)).Where(f => f.Flagged).MaxBy(f => f.Score);
            var flagged = new List<string>();
            for (var i = 0; i < chunks.Count; i++)
            {
                if (Strongest(title + "\n" + chunks[i].Text) is { } finding)
                {
                    flagged.Add(string.Create(CultureInfo.InvariantCulture, $"chunk {chunks[i].Ordinal}: {finding.Detector} {finding.Score:0.00} {finding.Reason}"));
                }
                else if (i + 1 < chunks.Count && Strongest(InjectionBoundary.Of(chunks[i].Text, chunks[i + 1].Text)) is { } across)
                {
                    // An instruction split where one chunk ends and the next begins.
                    flagged.Add(string.Create(CultureInfo.InvariantCulture, $"chunks {chunks[i].Ordinal}-{chunks[i + 1].Ordinal}: {across.Detector} {across.Score:0.00} {across.Reason} (across two chunks)"));
                }
            }
            if (flagged.Count > 0)
            {
                flags[InjectionKey] = string.Join("; ", flagged);
                notices.Add($"{documentId}: {flagged.Count} chunk(s) flagged as possible prompt injection ({flagged[0]}{(flagged.Count > 1 ? ", ..." : "")})");
            }
        }

        if (policy.Pii == PiiAction.Off)
        {
            return new ScreenedChunks(title, chunks, flags, notices);
        }

        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        string Screened(string text)
        {
            var matches = pii.Find(text);
            foreach (var match in matches)
            {
                counts[match.Type] = counts.GetValueOrDefault(match.Type) + 1;
            }

            return policy.Pii == PiiAction.Redact ? PiiRedaction.Redact(text, matches) : text;
        }

        var screenedTitle = Screened(title);
        var screened = chunks.Select(chunk =>
        {
            var text = Screened(chunk.Text);
            var headings = chunk.HeadingPath.Select(Screened).ToList();
            return text == chunk.Text && headings.SequenceEqual(chunk.HeadingPath)
                ? chunk
                : chunk with { Text = text, HeadingPath = headings, ContentHash = ContentHash.Of(text) };
        }).ToList();
        if (counts.Count > 0)
        {
            flags[PiiKey] = string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}")) + (policy.Pii == PiiAction.Redact ? " (redacted)" : "");
        }

        return new ScreenedChunks(screenedTitle, screened, flags, notices);
    }
}
