using System.Globalization;
using Sift.Core;
using Sift.Core.Documents;
using Sift.Index.Vectors;

namespace Sift.Index.Storage;

/// <summary>What <c>sift collections check</c> found: one result per check, each clean or with its problems.</summary>
public sealed record IntegrityReport(string Collection, IReadOnlyList<CheckResult> Checks)
{
    public bool Ok => Checks.All(c => c.Ok);

    public int ProblemCount => Checks.Sum(c => c.Problems.Count);
}

/// <param name="Summary">What was checked, in numbers, so a clean result says how much it covered.</param>
public sealed record CheckResult(string Name, string Summary, IReadOnlyList<Problem> Problems)
{
    public bool Ok => Problems.Count == 0;
}

/// <summary>One problem; the document and chunk ordinal when it concerns one.</summary>
public sealed record Problem(string Message, string? DocumentId = null, int? Ordinal = null);

/// <summary>
/// Checks a collection without writing to it: SQLite's integrity check, every row read back, every chunk against its
/// content hash, documents against their chunks, chunks against their embeddings, and both index files against the
/// store. Works on a database too damaged to open as a collection.
/// </summary>
internal static class CollectionCheck
{
    private const int IntegrityFindingsLimit = 100;

    public static IntegrityReport Run(string name, string folder)
    {
        var database = Path.Combine(folder, Collection.DatabaseFileName);
        var sqlite = CollectionRows.IntegrityCheck(database, name, IntegrityFindingsLimit);
        var rows = CollectionRows.Read(database, name);
        return new IntegrityReport(name,
        [
            new CheckResult("sqlite", "PRAGMA integrity_check",
                sqlite is ["ok"] ? [] : [.. sqlite.Select(finding => new Problem(finding))]),
            ReadBack(rows),
            ChunkHashes(rows),
            ChunkCounts(rows),
            Embeddings(rows),
            VectorIndexFile(name, folder, rows),
            LexicalIndexFileCheck(name, folder, rows),
        ]);
    }

    private static CheckResult ReadBack(CollectionRows rows) => new("rows",
        $"{rows.Documents.Count:N0} documents, {rows.Chunks.Count:N0} chunks, {rows.Embeddings.Count:N0} embeddings read back",
        [.. rows.Unreadable.Select(u => new Problem(u.First == u.Last
            ? $"{u.Table}: row {u.First} cannot be read ({u.Reason})"
            : $"{u.Table}: rows {u.First}-{u.Last} cannot be read ({u.Reason})"))]);

    private static CheckResult ChunkHashes(CollectionRows rows) => new("chunk hashes",
        $"{rows.Chunks.Count:N0} chunks' text hashed and compared with their stored content hash",
        [.. rows.Chunks.Where(c => ContentHash.Of(c.Text) != c.ContentHash).Select(c => new Problem(
            $"document {c.DocumentId}, chunk {c.Ordinal}: the text does not match its content hash (chunk id {c.Id})", c.DocumentId, c.Ordinal))]);

    private static CheckResult ChunkCounts(CollectionRows rows)
    {
        var chunksByDocument = rows.Chunks.GroupBy(c => c.DocumentId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var documents = rows.Documents.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var problems = new List<Problem>();
        foreach (var document in rows.Documents)
        {
            var found = chunksByDocument.GetValueOrDefault(document.Id);
            if (found != document.ChunkCount)
            {
                problems.Add(new Problem($"document {document.Id}: records {document.ChunkCount} chunks, {found} found", document.Id));
            }
        }

        foreach (var (documentId, count) in chunksByDocument.Where(d => !documents.Contains(d.Key)))
        {
            problems.Add(new Problem($"document {documentId}: {count} chunks whose document row is missing", documentId));
        }

        return new CheckResult("chunk counts", $"{rows.Documents.Count:N0} documents' chunk counts compared with their chunks", problems);
    }

    private static CheckResult Embeddings(CollectionRows rows)
    {
        var embedder = rows.Meta.GetValueOrDefault("embedder");
        var chunks = rows.Chunks.ToDictionary(c => c.Id);
        var embedded = rows.Embeddings.Select(e => e.ChunkId).ToHashSet();
        var problems = new List<Problem>();
        if (embedder is null or "none")
        {
            if (rows.Embeddings.Count > 0)
            {
                problems.Add(new Problem($"the collection records no embedder but holds {rows.Embeddings.Count:N0} vectors"));
            }

            return new CheckResult("embeddings", "no embedder recorded, so no vectors expected", problems);
        }

        var dimensions = rows.CommonDimensions();
        foreach (var embedding in rows.Embeddings)
        {
            if (!chunks.TryGetValue(embedding.ChunkId, out var chunk))
            {
                problems.Add(new Problem($"embedding of chunk id {embedding.ChunkId}: no such chunk"));
            }
            else if (embedding.Vector.Length != dimensions)
            {
                problems.Add(new Problem(
                    $"document {chunk.DocumentId}, chunk {chunk.Ordinal}: a {embedding.Vector.Length}-dimensional vector, the others have {dimensions}", chunk.DocumentId, chunk.Ordinal));
            }
        }

        problems.AddRange(rows.Chunks.Where(c => !embedded.Contains(c.Id))
            .Select(c => new Problem($"document {c.DocumentId}, chunk {c.Ordinal}: no embedding", c.DocumentId, c.Ordinal)));
        return new CheckResult("embeddings", $"{rows.Embeddings.Count:N0} {dimensions}-dimensional vectors from {embedder} matched with {rows.Chunks.Count:N0} chunks", problems);
    }

    private static CheckResult VectorIndexFile(string name, string folder, CollectionRows rows)
    {
        const string Check = "vector index";
        var path = Path.Combine(folder, Collection.VectorIndexFileName);
        if (rows.Meta.GetValueOrDefault("embedder") is null or "none")
        {
            return new CheckResult(Check, "no embedder, so no vector index", []);
        }

        if (!File.Exists(path))
        {
            return new CheckResult(Check, "no index file yet: the next dense search builds it", []);
        }

        VectorFile file;
        try
        {
            file = Collection.ReadVectorFile(path, name);
        }
        catch (VectorIndexFormatException ex)
        {
            return new CheckResult(Check, $"{ex.Message}: the next dense search rebuilds it", []);
        }
        catch (Exception ex) when (ex is SiftException or IOException or UnauthorizedAccessException)
        {
            return new CheckResult(Check, path, [new Problem($"{ex.Message}; rebuild it with: sift collections rebuild {name}")]);
        }

        var storeId = rows.Meta.GetValueOrDefault("collection_id") ?? "";
        var storeGeneration = long.TryParse(rows.Meta.GetValueOrDefault("generation"), CultureInfo.InvariantCulture, out var g) ? g : -1;
        var liveNodes = Enumerable.Range(0, file.Keys.Count).Where(node => !file.Index.IsDeleted(node)).Select(node => file.Keys[node]).ToHashSet();
        var summary = $"{liveNodes.Count:N0} live nodes, built at generation {file.Generation} for collection id {file.CollectionId}";
        var problems = new List<Problem>();
        if (file.CollectionId != storeId)
        {
            problems.Add(new Problem($"the index belongs to another collection (id {file.CollectionId}, this one is {(storeId.Length == 0 ? "(none)" : storeId)}); the next dense search refuses and rebuilds it"));
        }
        else if (file.Generation > storeGeneration)
        {
            problems.Add(new Problem($"the index was built at generation {file.Generation}, after the store's {storeGeneration}; the next dense search refuses and rebuilds it"));
        }
        else if (file.Generation < storeGeneration)
        {
            summary += $"; the store is at generation {storeGeneration}, so the next dense search brings it up to date";
        }
        else if (!liveNodes.SetEquals(rows.Embeddings.Select(e => e.ChunkId)))
        {
            problems.Add(new Problem($"the index has {liveNodes.Count:N0} live nodes for the same generation as the store's {rows.Embeddings.Count:N0} vectors, or other chunks; rebuild it with: sift collections rebuild {name}"));
        }

        return new CheckResult(Check, summary, problems);
    }

    private static CheckResult LexicalIndexFileCheck(string name, string folder, CollectionRows rows)
    {
        const string Check = "lexical index";
        var path = Path.Combine(folder, LexicalIndexFile.FileName);
        if (!File.Exists(path))
        {
            return new CheckResult(Check, "no index file: searches rebuild the index from the stored terms until the next ingest saves it", []);
        }

        LexicalIndexFile file;
        try
        {
            file = LexicalIndexFile.Open(path);
        }
        catch (OutdatedIndexFileException ex)
        {
            return new CheckResult(Check, $"written by an older Sift ({ex.Message}): searches rebuild from the stored terms until the next ingest or sift collections rebuild {name} replaces it", []);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return new CheckResult(Check, path, [new Problem($"{path}: {ex.Message} (searches rebuild from the stored terms meanwhile); rebuild it with: sift collections rebuild {name}")]);
        }

        var storeId = rows.Meta.GetValueOrDefault("collection_id") ?? "";
        var storeGeneration = long.TryParse(rows.Meta.GetValueOrDefault("generation"), CultureInfo.InvariantCulture, out var g) ? g : -1;
        var summary = $"{file.ChunkIds.Length:N0} chunks, {file.Postings.Count:N0} slots, built at generation {file.Generation}";
        if (file.CollectionId != storeId || file.Generation != storeGeneration)
        {
            return new CheckResult(Check, $"{summary}, not this store's (collection id {storeId}, generation {storeGeneration}): searches ignore it; the next ingest or sift collections rebuild {name} replaces it", []);
        }

        return file.ChunkIds.ToHashSet().SetEquals(rows.Chunks.Select(c => c.Id))
            ? new CheckResult(Check, summary, [])
            : new CheckResult(Check, summary, [new Problem($"the index holds {file.ChunkIds.Length:N0} chunks for the same generation as the store's {rows.Chunks.Count:N0}, or other chunks; rebuild it with: sift collections rebuild {name}")]);
    }
}
