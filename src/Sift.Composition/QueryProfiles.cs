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

    /// <summary>Runs each query through the collection's own retrieval (top <see cref="Depth"/>) and describes it.</summary>
    public static async Task<IReadOnlyList<QuerySample>> RunAsync(IChunkStore collection, IEnumerable<string> queries, ITextAnalyzer analyzer, CancellationToken cancellationToken)
    {
        var settings = RetrievalSettings.For(collection);
        if (settings.NeedsVectors)
        {
            SiftStores.BindEmbedder(collection);
        }

        var retriever = RetrieverFactory.Create(collection, analyzer, settings);
        var list = queries.ToList();
        foreach (var query in list.Take(WarmUp))
        {
            // Untimed first: a cold process (JIT, index load) would otherwise make the first window look slower.
            await retriever.RetrieveAsync(new RetrievalQuery(query, Depth), cancellationToken).ConfigureAwait(false);
        }

        var samples = new List<QuerySample>();
        foreach (var query in list)
        {
            var started = Stopwatch.GetTimestamp();
            var results = await retriever.RetrieveAsync(new RetrievalQuery(query, Depth), cancellationToken).ConfigureAwait(false);
            var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            samples.Add(await DescribeAsync(query, collection, analyzer, [.. results.Select(r => r.Score)], latency, null, cancellationToken).ConfigureAwait(false));
        }

        return samples;
    }
}
