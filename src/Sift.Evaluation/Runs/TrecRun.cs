using System.Globalization;

namespace Sift.Evaluation.Runs;

/// <summary>Writes runs in the TREC format trec_eval reads: "qid Q0 docid rank score tag".</summary>
public static class TrecRun
{
    public static void Write(TextWriter writer, IEnumerable<QueryEvaluation> queries, string tag)
    {
        foreach (var query in queries)
        {
            for (var i = 0; i < query.Ranked.Count; i++)
            {
                var (documentId, score) = query.Ranked[i];
                writer.Write(string.Create(CultureInfo.InvariantCulture, $"{query.QueryId} Q0 {documentId} {i + 1} {score:0.######} {tag}\n"));
            }
        }
    }
}
