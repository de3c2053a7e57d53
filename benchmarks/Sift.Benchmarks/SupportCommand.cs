using System.Globalization;
using System.Text.Json;
using Sift.Evaluation.Beir;
using Sift.Generation.Citations;
using Sift.Index.Analysis;

namespace Sift.Benchmarks;

/// <summary>
/// How well the offline citation support check separates supported from unsupported (sentence, passage) pairs, on
/// SciFact: each claim with an evidence abstract labelled SUPPORT or CONTRADICT gives a pair with that abstract, and a
/// pair with a random other abstract (unrelated; fixed seed). The threshold is chosen on the train claims (best F1 of
/// flagging unrelated pairs) and the figures are reported on the test claims.
/// </summary>
internal static class SupportCommand
{
    public static int Run(string folder)
    {
        using var analyzer = new EnglishTextAnalyzer();
        var corpus = Corpus.Read(Path.Combine(folder, "corpus.jsonl")).ToDictionary(r => r.Id, r => $"{r.Title}\n{r.Text}", StringComparer.Ordinal);
        var evidence = ReadEvidence(Path.Combine(folder, "queries.jsonl"));
        var support = new CitationSupport(analyzer);
        List<(string Label, double Score)> Pairs(string split)
        {
            var random = new Random(13);
            var ids = corpus.Keys.Order(StringComparer.Ordinal).ToArray();
            var pairs = new List<(string, double)>();
            foreach (var (queryId, claim) in BeirDataset.LoadJudgedQueries(folder, split).Queries.OrderBy(q => q.Key, StringComparer.Ordinal))
            {
                foreach (var (document, label) in evidence.GetValueOrDefault(queryId) ?? [])
                {
                    pairs.Add((label, support.Score(claim, corpus[document])));
                    pairs.Add(("UNRELATED", support.Score(claim, corpus[ids[random.Next(ids.Length)]])));
                }
            }

            return pairs;
        }

        var train = Pairs("train");
        var threshold = train.Select(p => p.Score).Distinct().Order().MaxBy(t => Flagging(train, t).F1);
        var test = Pairs("test");
        var (precision, recall, f1) = Flagging(test, threshold);
        double FlaggedShare(string label) => test.Where(p => p.Label == label).Average(p => p.Score < threshold ? 1.0 : 0.0);
        double FlaggedShareAtDefault(string label) => test.Where(p => p.Label == label).Average(p => p.Score < CitationSupport.DefaultThreshold ? 1.0 : 0.0);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            SciFact claims: {train.Count} train pairs, {test.Count} test pairs ({test.Count(p => p.Label == "SUPPORT")} SUPPORT, {test.Count(p => p.Label == "CONTRADICT")} CONTRADICT, {test.Count(p => p.Label == "UNRELATED")} unrelated); {DateTime.UtcNow:yyyy-MM-dd}
            threshold chosen on train: {threshold:0.###} (shipped default {CitationSupport.DefaultThreshold})
            test, flagging unrelated pairs as unsupported: precision {precision:0.000}, recall {recall:0.000}, F1 {f1:0.000}
            test, share flagged: SUPPORT {FlaggedShare("SUPPORT"):P1}, CONTRADICT {FlaggedShare("CONTRADICT"):P1}, unrelated {FlaggedShare("UNRELATED"):P1}
            test at the shipped default: SUPPORT {FlaggedShareAtDefault("SUPPORT"):P1}, CONTRADICT {FlaggedShareAtDefault("CONTRADICT"):P1}, unrelated {FlaggedShareAtDefault("UNRELATED"):P1}
            """));
        return 0;
    }

    /// <summary>Precision, recall and F1 of "score below the threshold" as a detector of unrelated pairs.</summary>
    private static (double Precision, double Recall, double F1) Flagging(List<(string Label, double Score)> pairs, double threshold)
    {
        var flagged = pairs.Where(p => p.Score < threshold).ToList();
        var precision = flagged.Count == 0 ? 0 : flagged.Count(p => p.Label == "UNRELATED") / (double)flagged.Count;
        var recall = flagged.Count(p => p.Label == "UNRELATED") / (double)Math.Max(1, pairs.Count(p => p.Label == "UNRELATED"));
        return (precision, recall, precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall));
    }

    /// <summary>SciFact's claim evidence: query id to (document id, SUPPORT or CONTRADICT), from the queries' metadata.</summary>
    private static Dictionary<string, List<(string Document, string Label)>> ReadEvidence(string path)
    {
        var evidence = new Dictionary<string, List<(string, string)>>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path).Where(l => l.Length > 0))
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (!root.TryGetProperty("metadata", out var metadata) || metadata.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var list = new List<(string, string)>();
            foreach (var document in metadata.EnumerateObject())
            {
                var label = document.Value.EnumerateArray().Select(e => e.GetProperty("label").GetString()!).FirstOrDefault();
                if (label is not null)
                {
                    list.Add((document.Name, label));
                }
            }

            evidence[root.GetProperty("_id").GetString()!] = list;
        }

        return evidence;
    }
}
