using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Sift.Core;
using Sift.Core.Filtering;
using Sift.Core.Stages;
using Sift.Core.Storage;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Metrics;
using Sift.Generation.Logging;
using Sift.Models.Learned;
using Sift.Models.Static;
using Sift.Retrieval;

namespace Sift.Composition;

/// <summary>How a ranker's training went: cross-validated by query, then trained on every query.</summary>
/// <param name="FirstStage">Mean nDCG@10 of the first stage (BM25) on each held-out fold.</param>
/// <param name="Learned">Mean nDCG@10 of the ranker trained on the other folds, on the same held-out fold.</param>
public sealed record RankerTraining(RankerModel Model, double[] FirstStage, double[] Learned, int Queries, int Candidates, TimeSpan Elapsed);

/// <summary>
/// Learned rankers of collections: trained from judged queries over the collection's own first stage (BM25's top
/// <see cref="Depth"/>), kept in the collection's settings, and applied as the rerank stage of every search, answer and
/// evaluation that does not turn them off, by the CLI and the server alike.
/// </summary>
public static class LearnedRankers
{
    /// <summary>First-stage candidates a ranker reorders.</summary>
    public const int Depth = 100;

    private const int Folds = 3;

    private const int KeptModels = 16;

    /// <summary>Parsed models by the hash of their document (versions sharing a ranker share it).</summary>
    private static readonly ConcurrentDictionary<string, RankerModel> Models = new(StringComparer.Ordinal);

    /// <summary>Analysed chunks per collection (a chunk's text does not depend on the model or the version).</summary>
    private static readonly ConcurrentDictionary<string, CandidateCache> Chunks = new(StringComparer.Ordinal);

    /// <summary>Hashes of ranker documents already seen (the same settings string comes back with every request).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<string, string> Hashes = [];

    /// <summary>
    /// The collection's learned ranker, with IDF over what <paramref name="access"/> may see (all when null); null when
    /// the collection has none, or has one this Sift cannot read (searches then keep the first stage's order).
    /// </summary>
    public static IReranker? For(IChunkStore collection, ITextAnalyzer analyzer, AccessScope? access)
    {
        if (collection.Settings.Ranker is not { } json)
        {
            return null;
        }

        var hash = Hashes.GetValue(json, text => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))));
        if (!Models.TryGetValue(hash, out var model))
        {
            try
            {
                model = RankerModel.Parse(json);
            }
            catch (SiftException)
            {
                return null;
            }

            if (Models.Count >= KeptModels)
            {
                Models.Clear();
            }

            Models[hash] = model;
        }

        var index = collection.LexicalIndex(Bm25Parameters.Default);
        var cache = Chunks.GetOrAdd(collection.Name, _ => new CandidateCache(analyzer));
        return new LearnedReranker(model, cache, term => index.Idf(term, access));
    }

    /// <summary>
    /// <paramref name="settings"/> reranking with the collection's learned ranker, when it has one and the first stage is
    /// the one it was trained on (BM25 with Sift's k1 and b, no expansion); a dense, hybrid or expanded first stage
    /// scores differently, and the model never saw those scores.
    /// </summary>
    public static RetrievalSettings Apply(RetrievalSettings settings, IChunkStore collection, ITextAnalyzer analyzer, AccessScope? access) =>
        Fits(settings) && For(collection, analyzer, access) is { } ranker ? settings with { Reranker = ranker, RerankDepth = Depth } : settings;

    /// <summary>True for the first stage rankers are trained on: BM25 with Sift's parameters, not expanded.</summary>
    public static bool Fits(RetrievalSettings settings) =>
        settings.Mode == "bm25" && (settings.Bm25 is null || settings.Bm25 == Bm25Parameters.Default) && settings.Expansion == RetrievalSettings.NoExpansion;

    /// <summary>True when the ranker <paramref name="json"/> learned from <paramref name="dataset"/>'s <paramref name="split"/>.</summary>
    public static bool TrainedOn(string? json, string dataset, string split)
    {
        try
        {
            return json is not null && RankerModel.Parse(json).Provenance is var trained && trained.Dataset == dataset && trained.Split == split;
        }
        catch (SiftException)
        {
            return false;
        }
    }

    /// <summary>A ranker document in a line: what it was trained on and when (for diffs); "none" without one.</summary>
    public static string Describe(string? json)
    {
        if (json is null)
        {
            return "none";
        }

        try
        {
            var provenance = RankerModel.Parse(json).Provenance;
            return $"{provenance.Dataset} {provenance.Split} ({provenance.Queries} queries, {provenance.TrainedAt})";
        }
        catch (SiftException)
        {
            return "unreadable";
        }
    }

    /// <summary>Judged queries a ranker needs: ten per cross-validation fold.</summary>
    public const int MinQueries = Folds * 10;

    /// <summary>
    /// Trains a ranker on <paramref name="data"/>'s judged queries over <paramref name="collection"/> (which must hold
    /// the dataset's corpus): each query's BM25 top 100 with their grades, three folds by query to measure it, then
    /// every query for the model kept.
    /// </summary>
    public static async Task<RankerTraining> TrainAsync(IChunkStore collection, ITextAnalyzer analyzer, BeirDataset data, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        if (data.Queries.Count < MinQueries)
        {
            throw new SiftException($"{data.Name} ({data.Split}) has {data.Queries.Count} judged queries: a ranker needs at least {MinQueries} to learn from and be measured on");
        }

        var (examples, lengths) = await ExamplesAsync(collection, analyzer, data, null, cancellationToken).ConfigureAwait(false);
        if (examples.Count < MinQueries)
        {
            throw new SiftException($"{data.Name} ({data.Split}) has {examples.Count} judged queries: a ranker needs at least {MinQueries} to learn from and be measured on");
        }

        if (examples.Count(e => e.Grades.Any(g => g > 0)) * 2 < examples.Count)
        {
            throw new SiftException($"fewer than half of {data.Name}'s {data.Split} queries find a relevant document in the top {Depth} of '{collection.Name}': train on the collection that holds the dataset's corpus");
        }
        var provenance = new RankerProvenance(data.Name, data.Split, examples.Count, HashJudgments(data), Depth, DateTimeOffset.UtcNow.ToString("O"), [], SiftBuild.Version);
        // Each fold is measured as a new query is served: its model trains on the other folds (their priors out of fold
        // among themselves) and scores the held-out queries with those folds' priors, so no held-out judgment reaches
        // the model through a prior.
        IReadOnlyDictionary<string, int> Judged(string id) => data.Qrels[id];
        var (firstStage, learned) = (new double[Folds], new double[Folds]);
        for (var fold = 0; fold < Folds; fold++)
        {
            var training = examples.Where((_, i) => i % Folds != fold).ToList();
            var servingPriors = JudgedPriors.Of([.. training.Select(e => Judged(e.QueryId))]);
            var heldOut = examples.Where((_, i) => i % Folds == fold).Select(e => JudgedPriors.With(e, servingPriors)).ToList();
            var model = RankerModel.Train(JudgedPriors.OutOfFold(training, Judged, Folds - 1), lengths, servingPriors, provenance);
            firstStage[fold] = heldOut.Average(e => Ndcg10(e, [.. e.Features.Select(f => f[0])], data));
            learned[fold] = heldOut.Average(e => Ndcg10(e, model.Score(e.Features), data));
        }

        var priors = JudgedPriors.Of([.. examples.Select(e => Judged(e.QueryId))]);
        var final = RankerModel.Train(JudgedPriors.OutOfFold(examples, Judged, Folds), lengths, priors, provenance with { CrossValidation = [firstStage.Average(), learned.Average()] });
        return new RankerTraining(final, firstStage, learned, examples.Count, examples.Sum(e => e.Grades.Length), started.Elapsed);
    }

    /// <summary>
    /// Each judged query of <paramref name="data"/> with its first-stage candidates' features and grades (the documents
    /// they belong to, per candidate), and the field lengths the features used: <paramref name="lengths"/> when given
    /// (those of a ranker's training, to score other queries alike), else the averages over these candidates.
    /// </summary>
    public static async Task<(List<RankingExample> Examples, FieldLengths Lengths)> ExamplesAsync(
        IChunkStore collection, ITextAnalyzer analyzer, BeirDataset data, FieldLengths? lengths, CancellationToken cancellationToken)
    {
        var retriever = RetrieverFactory.Create(collection, analyzer, new RetrievalSettings("bm25"));
        var index = collection.LexicalIndex(Bm25Parameters.Default);
        var cache = new CandidateCache(analyzer);
        double Idf(string term) => index.Idf(term, null);

        var judged = new List<(string Id, string Text, IReadOnlyList<RetrievedChunk> Retrieved)>();
        foreach (var (id, text) in data.Queries.OrderBy(q => Hash(q.Key), StringComparer.Ordinal))
        {
            judged.Add((id, text, await retriever.RetrieveAsync(new RetrievalQuery(text, Depth), cancellationToken).ConfigureAwait(false)));
        }

        var seen = judged.SelectMany(q => q.Retrieved).DistinctBy(r => r.Chunk.Id).Select(r => cache.For(r.Chunk, r.Score)).ToList();
        if (seen.Count == 0)
        {
            throw new SiftException($"no query of {data.Name} ({data.Split}) retrieves anything from '{collection.Name}': train on the collection that holds the dataset's corpus");
        }

        lengths ??= new FieldLengths(seen.Average(c => c.Title.Count), seen.Average(c => c.Body.Count), seen.Average(c => c.Title.Count + c.Body.Count));
        var examples = judged.Select(q => new RankingExample(
            q.Id,
            RankingFeatures.Compute(cache.Terms(q.Text), StaticWordEmbedder.Default.Embed(q.Text), [.. q.Retrieved.Select(r => cache.For(r.Chunk, r.Score))], Idf, lengths),
            [.. q.Retrieved.Select(r => data.Qrels[q.Id].GetValueOrDefault(r.Chunk.DocumentId))],
            [.. q.Retrieved.Select(r => r.Chunk.DocumentId)])).ToList();
        return (examples, lengths);
    }

    /// <summary>nDCG@10 over documents (a document ranks at its best chunk) of one query's candidates ordered by <paramref name="scores"/>.</summary>
    public static double Ndcg10(RankingExample example, float[] scores, BeirDataset data)
    {
        var ranked = example.Documents.Select((d, i) => (Document: d, Score: (double)scores[i])).OrderByDescending(r => r.Score)
            .Select(r => r.Document).Distinct(StringComparer.Ordinal).ToList();
        return RetrievalMetrics.Ndcg(ranked, data.Qrels[example.QueryId], 10);
    }

    /// <summary>
    /// Judged queries from answers rated in the query log for <paramref name="collection"/>: an answer rated helpful on
    /// balance makes the documents it cited relevant to its question (grade 1) and the documents it was given but did
    /// not cite not relevant (grade 0), so the ranker learns what set cited passages apart from others shown beside
    /// them, not merely that BM25 put them first. Answers rated unhelpful on balance, and questions stored redacted,
    /// teach nothing yet: an unhelpful answer's documents would only be marked not relevant, which every candidate
    /// without a judgment already counts as. Every rater is trusted alike (see docs/security.md).
    /// </summary>
    public static BeirDataset FeedbackJudgments(IEnumerable<LoggedAnswer> answers, string collection)
    {
        var (queries, qrels) = (new Dictionary<string, string>(StringComparer.Ordinal), new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal));
        foreach (var answer in answers.Where(a => a.Collection == collection && a.Question is not null && a.Cited.Count > 0 && a.Feedback.Sum(f => f.Rating) > 0))
        {
            var id = Hash(answer.Question!)[..16];
            queries[id] = answer.Question!;
            var grades = qrels.TryGetValue(id, out var known) ? known : qrels[id] = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var document in answer.Documents.Concat(answer.Cited))
            {
                var cited = answer.Cited.Contains(document, StringComparer.Ordinal);
                grades[document] = Math.Max(grades.GetValueOrDefault(document), cited ? 1 : 0);
            }
        }

        return BeirDataset.FromJudgments("feedback", "query log", queries, qrels.ToDictionary(q => q.Key, q => (IReadOnlyDictionary<string, int>)q.Value, StringComparer.Ordinal));
    }

    /// <summary>SHA-256 of the judged queries (ids, texts and grades in a fixed order), kept with the ranker.</summary>
    private static string HashJudgments(BeirDataset data)
    {
        var text = new StringBuilder();
        foreach (var (id, query) in data.Queries.OrderBy(q => q.Key, StringComparer.Ordinal))
        {
            text.Append(id).Append('\t').Append(query).Append('\n');
            foreach (var (document, grade) in data.Qrels[id].OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                text.Append('\t').Append(document).Append('\t').Append(grade).Append('\n');
            }
        }

        return Hash(text.ToString());
    }

    /// <summary>SHA-256 in hex: orders queries into folds unrelated to their ids' order, names questions, hashes judgments.</summary>
    private static string Hash(string id) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));
}
