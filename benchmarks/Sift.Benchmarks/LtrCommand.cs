using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;
using Sift.Evaluation;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Metrics;
using Sift.Evaluation.Statistics;
using Sift.Index.Analysis;
using Sift.Index.Lexical;
using Sift.Models.Static;

namespace Sift.Benchmarks;

/// <summary>Experiment: LightGBM LambdaRank over BM25's top 100 with lexical, proximity, RM3 and GloVe features; train on train, report test.</summary>
internal static class LtrCommand
{
    private const int Depth = 100;

    private sealed class Row
    {
        public float Label { get; set; }

        public uint Group { get; set; }

        [VectorType(FeatureSet.Count)]
        public float[] Features { get; set; } = [];
    }

    public static async Task<int> Run(string folder, string trainSplit, string testSplit)
    {
        var train = BeirDataset.Load(folder, trainSplit);
        var test = BeirDataset.Load(folder, testSplit);
        using var analyzer = new EnglishTextAnalyzer();
        var records = Corpus.Read(train.CorpusPath!);
        var docs = records.Select(r => new Doc(r.Id, Terms(analyzer, r.Title), Terms(analyzer, r.Text), StaticWordEmbedder.Default.Embed($"{r.Title} {r.Text}"))).ToList();
        var index = Bm25Index.Build(docs.Select(d => (IReadOnlyList<string>)[.. d.Title, .. d.Body]), Bm25Parameters.Default);
        var stats = new FeatureSet.Stats(docs);

        List<(string QueryId, List<(int Doc, float[] Features)> Candidates)> Build(BeirDataset data) =>
            [.. data.Queries.Select(q => (q.Key, FeatureSet.For(q.Value, analyzer, index, docs, stats, Depth)))];

        var started = DateTime.UtcNow;
        var trainSet = Build(train);
        var testSet = Build(test);
        Console.WriteLine($"features: {(DateTime.UtcNow - started).TotalSeconds:0.0}s for {trainSet.Count + testSet.Count} queries");

        var ml = new MLContext(seed: 17);
        IEnumerable<Row> Rows(BeirDataset data, List<(string QueryId, List<(int Doc, float[] Features)> Candidates)> set) =>
            set.SelectMany((q, g) => q.Candidates.Select(c => new Row
            {
                Label = data.Qrels.TryGetValue(q.QueryId, out var judged) && judged.TryGetValue(docs[c.Doc].Id, out var grade) ? Math.Max(0, grade) : 0,
                Group = (uint)g,
                Features = c.Features,
            }));
        var trainData = ml.Data.LoadFromEnumerable(Rows(train, trainSet));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("GroupKey", "Group")
            .Append(ml.Ranking.Trainers.LightGbm(new LightGbmRankingTrainer.Options
            {
                LabelColumnName = "Label", FeatureColumnName = "Features", RowGroupColumnName = "GroupKey",
                NumberOfLeaves = 15, NumberOfIterations = 300, LearningRate = 0.05, MinimumExampleCountPerLeaf = 30,
                Seed = 17,
            }));
        started = DateTime.UtcNow;
        var model = pipeline.Fit(trainData);
        Console.WriteLine($"training: {(DateTime.UtcNow - started).TotalSeconds:0.0}s");

        var scored = model.Transform(ml.Data.LoadFromEnumerable(Rows(test, testSet)));
        var scores = scored.GetColumn<float>("Score").ToArray();
        var reranked = new Dictionary<string, IReadOnlyList<(string, double)>>(StringComparer.Ordinal);
        var bm25 = new Dictionary<string, IReadOnlyList<(string, double)>>(StringComparer.Ordinal);
        var at = 0;
        foreach (var (queryId, candidates) in testSet)
        {
            var byModel = candidates.Select((c, i) => (Doc: docs[c.Doc].Id, Score: (double)scores[at + i])).OrderByDescending(c => c.Score).ToList();
            reranked[test.Queries[queryId]] = byModel;
            bm25[test.Queries[queryId]] = [.. candidates.Select(c => (docs[c.Doc].Id, (double)c.Features[0]))];
            at += candidates.Count;
        }

        var metrics = new[] { MetricSpec.Parse("ndcg@10"), MetricSpec.Parse("recall@100") };
        var baseline = await RetrievalEvaluator.EvaluateAsync(test, (q, n, _) => Task.FromResult(bm25[q]), metrics, Depth);
        var learned = await RetrievalEvaluator.EvaluateAsync(test, (q, n, _) => Task.FromResult(reranked[q]), metrics, Depth);
        var comparison = RegressionGate.Compare(RunResults.FromEvaluation("bm25", baseline), RunResults.FromEvaluation("ltr", learned), ["ndcg@10"]).Single();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{test.Name} {testSplit}: bm25 ndcg@10 {baseline.Means["ndcg@10"]:0.0000}, ltr {learned.Means["ndcg@10"]:0.0000}; {comparison}"));

        // Feature importance by ablation is in the product command; here the permutation-free gain summary.
        return 0;
    }

    private static List<string> Terms(EnglishTextAnalyzer analyzer, string text) => [.. analyzer.Analyze(text).Select(t => t.Term)];

    internal sealed record Doc(string Id, List<string> Title, List<string> Body, float[] Vector);

    /// <summary>Features of (query, candidate).</summary>
    private static class FeatureSet
    {
        public const int Count = 15;

        public sealed class Stats
        {
            public Stats(List<Doc> docs)
            {
                N = docs.Count;
                foreach (var doc in docs)
                {
                    foreach (var term in doc.Title.Concat(doc.Body).Distinct())
                    {
                        Df[term] = Df.GetValueOrDefault(term) + 1;
                    }
                }

                AverageTitle = docs.Average(d => d.Title.Count);
                AverageBody = docs.Average(d => d.Body.Count);
                AverageAll = docs.Average(d => d.Title.Count + d.Body.Count);
            }

            public int N { get; }

            public Dictionary<string, int> Df { get; } = new(StringComparer.Ordinal);

            public double AverageTitle { get; }

            public double AverageBody { get; }

            public double AverageAll { get; }

            public double Idf(string term) => Math.Log(1 + ((N - Df.GetValueOrDefault(term) + 0.5) / (Df.GetValueOrDefault(term) + 0.5)));
        }

        public static List<(int Doc, float[] Features)> For(string query, EnglishTextAnalyzer analyzer, Bm25Index index, List<Doc> docs, Stats stats, int depth)
        {
            var terms = Terms(analyzer, query);
            var unique = terms.Distinct().ToList();
            var hits = index.Search(terms, depth);
            if (hits.Count == 0)
            {
                return [];
            }

            var top = hits[0].Score;
            var queryVector = StaticWordEmbedder.Default.Embed(query);
            var idfSum = unique.Sum(stats.Idf);

            // RM3: expansion terms from the top 10, weighted by their BM25 score and term frequency.
            var expansion = new Dictionary<string, double>(StringComparer.Ordinal);
            var norm = hits.Take(10).Sum(h => Math.Exp(h.Score - top));
            foreach (var hit in hits.Take(10))
            {
                var doc = docs[hit.Slot];
                var all = doc.Title.Concat(doc.Body).ToList();
                var weight = Math.Exp(hit.Score - top) / norm;
                foreach (var group in all.GroupBy(t => t))
                {
                    expansion[group.Key] = expansion.GetValueOrDefault(group.Key) + (weight * group.Count() / all.Count);
                }
            }

            var expanded = expansion.OrderByDescending(e => e.Value).Take(10).ToList();

            return [.. hits.Select((hit, rank) =>
            {
                var doc = docs[hit.Slot];
                var all = doc.Title.Concat(doc.Body).ToList();
                var counts = all.GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
                var titleSet = doc.Title.ToHashSet(StringComparer.Ordinal);
                var matched = unique.Where(counts.ContainsKey).ToList();
                var coverage = idfSum == 0 ? 0 : matched.Sum(stats.Idf) / idfSum;
                var titleCoverage = idfSum == 0 ? 0 : unique.Where(titleSet.Contains).Sum(stats.Idf) / idfSum;
                var rm3 = expanded.Sum(e => e.Value * Math.Log(1 + counts.GetValueOrDefault(e.Key)) * stats.Idf(e.Key));
                return (hit.Slot, new[]
                {
                    hit.Score,
                    (float)Math.Log(rank + 1),
                    top == 0 ? 0 : hit.Score / top,
                    (float)Bm25(unique, doc.Body, stats, stats.AverageBody, 0.9, 0.4),
                    (float)Bm25(unique, doc.Title, stats, stats.AverageTitle, 0.9, 0.4),
                    (float)Bm25(unique, all, stats, stats.AverageAll, 1.2, 0.75),
                    (float)Bm25(unique, all, stats, stats.AverageAll, 2.0, 0.9),
                    (float)coverage,
                    (float)titleCoverage,
                    unique.Count == 0 ? 0 : (float)matched.Count / unique.Count,
                    (float)Proximity(all, matched),
                    (float)Math.Log(1 + all.Count),
                    Cosine(queryVector, doc.Vector),
                    (float)rm3,
                    (float)idfSum,
                });
            })];
        }

        private static double Bm25(List<string> terms, List<string> field, Stats stats, double average, double k1, double b)
        {
            var score = 0.0;
            foreach (var term in terms)
            {
                var tf = field.Count(t => t == term);
                if (tf > 0)
                {
                    score += stats.Idf(term) * tf * (k1 + 1) / (tf + (k1 * (1 - b + (b * field.Count / average))));
                }
            }

            return score;
        }

        /// <summary>1 / (1 + the shortest window holding every matched term, minus their count).</summary>
        private static double Proximity(List<string> tokens, List<string> matched)
        {
            if (matched.Count < 2)
            {
                return matched.Count;
            }

            var want = matched.ToHashSet(StringComparer.Ordinal);
            var window = new Dictionary<string, int>(StringComparer.Ordinal);
            var best = int.MaxValue;
            var left = 0;
            for (var right = 0; right < tokens.Count; right++)
            {
                if (!want.Contains(tokens[right]))
                {
                    continue;
                }

                window[tokens[right]] = window.GetValueOrDefault(tokens[right]) + 1;
                while (window.Count == want.Count)
                {
                    best = Math.Min(best, right - left + 1);
                    if (want.Contains(tokens[left]) && --window[tokens[left]] == 0)
                    {
                        window.Remove(tokens[left]);
                    }

                    left++;
                }
            }

            return best == int.MaxValue ? 0 : 1.0 / (1 + best - want.Count);
        }

        private static float Cosine(float[] a, float[] b) => a.Length == 0 || b.Length == 0 ? 0 : System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);
    }
}
