using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Evaluation.Monitoring;
using Sift.Generation.Logging;

namespace Sift.Composition;

/// <summary>
/// Drift reports from the query log (the CLI's <c>sift monitor report --window</c>, the server's monitor endpoint and
/// its periodic check) and between two versions' content.
/// </summary>
public static class DriftMonitor
{
    /// <summary>Logged queries compared per window at most (a seeded sample of busier windows), so a check stays seconds long.</summary>
    public const int MaxQueriesPerWindow = 2_000;

    /// <summary>
    /// Compares the queries logged for <paramref name="collection"/> in the last <paramref name="window"/> with those of
    /// the <paramref name="referenceSpan"/> before it. Latency and abstention come from the log; scores from running
    /// each question again on <paramref name="collection"/> (so redacted questions are left out, as are cached replies,
    /// whose latency says nothing about the engine).
    /// </summary>
    public static async Task<DriftReport> FromLogAsync(
        IChunkStore collection, QueryLog log, DateTimeOffset now, TimeSpan window, TimeSpan referenceSpan, ITextAnalyzer analyzer,
        DriftThresholds? thresholds, CancellationToken cancellationToken)
    {
        var current = await SamplesAsync(collection, log.ReadQueries(collection.Name, now - window, now), analyzer, cancellationToken).ConfigureAwait(false);
        var reference = await SamplesAsync(collection, log.ReadQueries(collection.Name, now - window - referenceSpan, now - window), analyzer, cancellationToken).ConfigureAwait(false);
        return DriftReport.Compare(reference, current, thresholds);
    }

    private static async Task<List<QuerySample>> SamplesAsync(IChunkStore collection, IReadOnlyList<LoggedQuery> logged, ITextAnalyzer analyzer, CancellationToken cancellationToken)
    {
        var usable = logged.Where(q => q.Question is not null && !q.Cached).ToArray();
        if (usable.Length > MaxQueriesPerWindow)
        {
            new Random(17).Shuffle(usable);
            usable = usable[..MaxQueriesPerWindow];
        }

        var settings = Retrieval.RetrievalSettings.For(collection);
        var retriever = Retrieval.RetrieverFactory.Create(collection, analyzer, settings);
        var samples = new List<QuerySample>(usable.Length);
        foreach (var query in usable)
        {
            var results = await retriever.RetrieveAsync(new RetrievalQuery(query.Question!, QueryProfiles.Depth), cancellationToken).ConfigureAwait(false);
            samples.Add(await QueryProfiles.DescribeAsync(
                query.Question!, collection, analyzer, [.. results.Select(r => r.Score)], query.LatencyMs, query.Abstained, cancellationToken).ConfigureAwait(false));
        }

        return samples;
    }

    /// <summary>
    /// Corpus drift between two versions: the distribution of their chunks' terms (document frequencies of the
    /// reference's most common terms, the rest as one bin) and of their embeddings (clusters fitted on the reference),
    /// each as a PSI over a seeded sample of chunks.
    /// </summary>
    public static IReadOnlyList<FeatureDrift> CorpusDrift(IChunkStore reference, IChunkStore current, ITextAnalyzer analyzer, int sample = 5_000, int terms = 200)
    {
        var (a, b) = (Sample(reference, sample), Sample(current, sample));
        HashSet<string> Terms(StoredChunk chunk) => [.. analyzer.Analyze(chunk.Text).Select(t => t.Term)];
        var referenceTerms = a.Select(Terms).ToList();
        var currentTerms = b.Select(Terms).ToList();
        var vocabulary = referenceTerms.SelectMany(t => t).GroupBy(t => t, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(terms).Select(g => g.Key).ToList();
        long[] Frequencies(List<HashSet<string>> chunks) =>
            [.. vocabulary.Select(t => (long)chunks.Count(c => c.Contains(t))), chunks.Sum(c => (long)c.Count(t => !vocabulary.Contains(t)))];
        var (referenceCounts, currentCounts) = (Frequencies(referenceTerms), Frequencies(currentTerms));
        var thresholds = new DriftThresholds();
        var drift = new List<FeatureDrift> { DriftReport.Categorical("chunk_terms", [.. vocabulary, "(other)"], referenceCounts, currentCounts, thresholds) };

        var vectorsA = reference.GetVectors([.. a.Select(c => c.Id)]).OfType<float[]>().ToList();
        var vectorsB = current.GetVectors([.. b.Select(c => c.Id)]).OfType<float[]>().ToList();
        if (vectorsA.Count > 0 && vectorsB.Count > 0)
        {
            var clusters = EmbeddingClusters.Fit(vectorsA, 16, seed: 17);
            var names = Enumerable.Range(0, clusters.Count).Select(c => $"cluster {c}").ToList();
            long[] Histogram(List<float[]> vectors)
            {
                var counts = new long[clusters.Count];
                foreach (var vector in vectors)
                {
                    counts[clusters.Assign(vector)]++;
                }

                return counts;
            }

            drift.Add(DriftReport.Categorical("chunk_embeddings", names, Histogram(vectorsA), Histogram(vectorsB), thresholds));
        }

        return drift;
    }

    private static IReadOnlyList<StoredChunk> Sample(IChunkStore collection, int size)
    {
        var ids = collection.ChunkIds().ToArray();
        if (ids.Length > size)
        {
            new Random(17).Shuffle(ids);
            ids = ids[..size];
        }

        return collection.GetChunks(ids);
    }
}
