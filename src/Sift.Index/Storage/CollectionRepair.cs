using System.Text.Json;
using Microsoft.Extensions.AI;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Core.Storage;

namespace Sift.Index.Storage;

/// <summary>What <c>sift collections repair</c> salvaged into the new collection and what it could not.</summary>
public sealed record RepairReport(
    string From,
    string To,
    int DocumentsRecovered,
    int ChunksRecovered,
    int VectorsKept,
    int VectorsReembedded,
    IReadOnlyList<LostDocument> DocumentsLost,
    int OrphanChunksDropped,
    IReadOnlyList<UnreadableRows> UnreadableRows);

public sealed record LostDocument(string DocumentId, string Reason);

/// <summary>
/// Salvages a damaged collection into a new one, never writing to the damaged one: every row that reads back (see
/// <see cref="CollectionRows"/>), keeping the documents whose chunks all read back and match their content hashes,
/// with their stored vectors, or new ones from the collection's embedder where a vector was lost.
/// </summary>
internal static class CollectionRepair
{
    private const int BatchSize = 256;

    public static RepairReport Run(
        CollectionStore store, string name, string folder, string newName, ITextAnalyzer analyzer,
        Func<string, IEmbeddingGenerator<string, Embedding<float>>?> createEmbedder)
    {
        var rows = CollectionRows.Read(Path.Combine(folder, Collection.DatabaseFileName), name);
        var recordedAnalyzer = rows.Meta.GetValueOrDefault("analyzer");
        if (recordedAnalyzer is not null && recordedAnalyzer != analyzer.Name)
        {
            throw new SiftException($"collection '{name}' was indexed with analyzer '{recordedAnalyzer}', this Sift uses '{analyzer.Name}': re-ingest it instead");
        }

        // Without the recorded embedder the stored vectors cannot be vouched for, so the copy goes without vectors.
        var embedderSpec = rows.Meta.GetValueOrDefault("embedder_spec") ?? "none";
        var embedder = createEmbedder(embedderSpec);
        // Stored vectors are kept only if the embedder still is the model that made them; otherwise all are remade.
        var keepVectors = embedder is not null && Embedders.Identity(embedder) == rows.Meta.GetValueOrDefault("embedder");
        var (kept, lost) = Salvage(rows, keepVectors ? rows.CommonDimensions() : -1);
        var documents = rows.Documents.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var orphans = rows.Chunks.Count(c => !documents.Contains(c.DocumentId));

        var target = store.OpenOrCreate(newName);
        try
        {
            using (target)
            {
                target.UseEmbedder(embedderSpec, embedder);
                target.CopySettings(rows.Meta);
                foreach (var batch in kept.Chunk(BatchSize))
                {
                    IReadOnlyList<DocumentChunks> written = [.. batch.Select(d => embedder is null ? d.Content : d.Content with { Vectors = d.Vectors })];
                    // Vectors that did not read back are made again (a maintenance command run from the CLI: waiting here is fine).
                    target.Write(embedder is null ? written : embedder.EmbedChunksAsync(written).GetAwaiter().GetResult());
                }

                target.FinishIngest(rows.Meta.GetValueOrDefault("chunker") ?? "");
            }
        }
        catch
        {
            store.Delete(newName); // a half-written copy would look like a finished one
            throw;
        }

        return new RepairReport(name, newName,
            kept.Count,
            kept.Sum(d => d.Content.Chunks.Count),
            kept.Sum(d => d.Vectors.Count(v => v is not null)),
            embedder is null ? 0 : kept.Sum(d => d.Vectors.Count(v => v is null)),
            lost,
            orphans,
            rows.Unreadable);
    }

    private static (List<SalvagedDocument> Kept, List<LostDocument> Lost) Salvage(CollectionRows rows, int dimensions)
    {
        var chunksByDocument = rows.Chunks.ToLookup(c => c.DocumentId, StringComparer.Ordinal);
        var vectors = rows.Embeddings.Where(e => e.Vector.Length == dimensions).GroupBy(e => e.ChunkId).ToDictionary(g => g.Key, g => g.First().Vector);
        var kept = new List<SalvagedDocument>();
        var lost = new List<LostDocument>();
        foreach (var document in rows.Documents)
        {
            var chunks = chunksByDocument[document.Id].OrderBy(c => c.Ordinal).ToList();
            var reason = chunks.Count != document.ChunkCount ? $"{document.ChunkCount - chunks.Count} of its {document.ChunkCount} chunks cannot be read"
                : !chunks.Select(c => c.Ordinal).SequenceEqual(Enumerable.Range(0, chunks.Count)) ? "its chunks' ordinals are not 0..n-1"
                : chunks.FirstOrDefault(c => ContentHash.Of(c.Text) != c.ContentHash) is { } altered ? $"chunk {altered.Ordinal} does not match its content hash"
                : null;
            var content = reason is null ? TryRebuild(document, chunks) : null;
            if (content is null)
            {
                lost.Add(new LostDocument(document.Id, reason ?? "its metadata or heading paths cannot be parsed"));
                continue;
            }

            kept.Add(new SalvagedDocument(content, [.. chunks.Select(c => vectors.GetValueOrDefault(c.Id))]));
        }

        return (kept, lost);
    }

    private static DocumentChunks? TryRebuild(DocumentRow document, List<ChunkRow> chunks)
    {
        try
        {
            var metadata = JsonSerializer.Deserialize<Dictionary<string, string>>(document.Metadata);
            var headings = chunks.Select(c => JsonSerializer.Deserialize<string[]>(c.HeadingPath)).ToList();
            if (metadata is null || headings.Any(h => h is null))
            {
                return null;
            }

            // The source text is not stored, only its chunks; the document's hash is kept so re-ingest stays incremental.
            var source = new SourceDocument(document.Id, document.Source, document.Title, "", document.ContentHash, metadata, []);
            return new DocumentChunks(source, [.. chunks.Select((c, i) =>
                new Chunk(c.DocumentId, c.Ordinal, c.Text, c.Start, c.End, headings[i]!, c.Page, c.ContentHash))]);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record SalvagedDocument(DocumentChunks Content, float[]?[] Vectors);
}
