using System.Diagnostics;
using Microsoft.Extensions.AI;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Evaluation.Monitoring;
using Sift.Models.Static;
using Sift.Retrieval;

namespace Sift.Composition;

/// <summary>Turns queries into what the drift monitor compares: features of the question and outcomes of answering it.</summary>
public static class QueryProfiles
{
    /// <summary>Results looked at for the score gap (rank 1 minus rank 10).</summary>
    public const int Depth = 10;

    private const int WarmUp = 50;

    /// <summary>The embedder a query is placed with: the collection's, else the bundled word vectors (as the semantic cache does).</summary>
    public static IEmbeddingGenerator<string, Embedding<float>> Embedder(IChunkStore collection) => collection.Embedder ?? StaticWordEmbedder.Default;

    /// <summary>One query's sample, from its text and the scores it got (best first).</summary>
    public static async Task<QuerySample> DescribeAsync(
        string query, IChunkStore collection, ITextAnalyzer analyzer, IReadOnlyList<double> scores, double latencyMs, bool? abstained, CancellationToken cancellationToken)
    {
        var terms = analyzer.Analyze(query).Select(t => t.Term).ToList();
        var lexical = collection.LexicalIndex(Bm25Parameters.Default);
        // A term no chunk holds gets the largest idf there is; a term that cannot occur shows what that value is.
        var unseen = lexical.Idf("\u0001", null);
        var outOfVocabulary = terms.Count == 0 ? 0 : terms.Count(t => lexical.Idf(t, null) >= unseen) / (double)terms.Count;
        var embedding = (await Embedder(collection).GenerateAsync([query], cancellationToken: cancellationToken).ConfigureAwait(false))[0].Vector.ToArray();
        var top = scores.Count == 0 ? 0 : scores[0];
        var gap = scores.Count == 0 ? 0 : top - scores[Math.Min(scores.Count, Depth) - 1];
        return new QuerySample(terms.Count, outOfVocabulary, QueryLanguage.Detect(query), embedding, top, gap, latencyMs, abstained);
    }

    /// <summary>
    /// Runs two windows of queries through the collection's own retrieval (top <see cref="Depth"/>) and describes each
    /// query. The windows are run interleaved, after an untimed warm-up, so the machine's state (a cold process, a busy
    /// neighbour) weighs on both alike and latency compares fairly.
    /// </summary>
    public static async Task<(IReadOnlyList<QuerySample> Reference, IReadOnlyList<QuerySample> Current)> RunAsync(
        IChunkStore collection, IReadOnlyList<string> reference, IReadOnlyList<string> current, ITextAnalyzer analyzer, CancellationToken cancellationToken)
    {
        var settings = RetrievalSettings.For(collection);
        if (settings.NeedsVectors)
        {
            SiftStores.BindEmbedder(collection);
        }

        var retriever = RetrieverFactory.Create(collection, analyzer, settings);
        foreach (var query in reference.Concat(current).Take(WarmUp))
        {
            await retriever.RetrieveAsync(new RetrievalQuery(query, Depth), cancellationToken).ConfigureAwait(false);
        }

        async Task<QuerySample> Run(string query)
        {
            var started = Stopwatch.GetTimestamp();
            var results = await retriever.RetrieveAsync(new RetrievalQuery(query, Depth), cancellationToken).ConfigureAwait(false);
            var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            return await DescribeAsync(query, collection, analyzer, [.. results.Select(r => r.Score)], latency, null, cancellationToken).ConfigureAwait(false);
        }

        // Proportionally interleaved: the i-th of n queries of a window runs at about i/n of the way through, for both.
        var order = reference.Select((q, i) => (Query: q, Current: false, At: (i + 0.5) / reference.Count))
            .Concat(current.Select((q, i) => (Query: q, Current: true, At: (i + 0.5) / current.Count)))
            .OrderBy(e => e.At);
        var (a, b) = (new List<QuerySample>(reference.Count), new List<QuerySample>(current.Count));
        foreach (var (query, isCurrent, _) in order)
        {
            (isCurrent ? b : a).Add(await Run(query).ConfigureAwait(false));
        }

        return (a, b);
    }
}
