using Sift.Core.Stages;

namespace Sift.Index.Storage;

/// <summary>What every store keeps per chunk for BM25: its analysed terms, its document's title first, joined by spaces.</summary>
public static class ChunkTerms
{
    /// <summary>
    /// Every chunk's analyzed terms (its document's title first), a group of chunks at a time, each group on all
    /// cores: a document of any size holds one group's terms in memory, and one huge document is analyzed in parallel.
    /// </summary>
    public static IEnumerable<(List<(int Document, int Chunk)> Positions, string[] Terms)> Groups(ITextAnalyzer analyzer, IReadOnlyList<DocumentChunks> batch)
    {
        const int GroupSize = 512;
        var titles = batch.Select(b => string.Join(' ', analyzer.Analyze(b.Document.Title).Select(t => t.Term))).ToArray();
        var positions = new List<(int Document, int Chunk)>(GroupSize);
        for (var i = 0; i < batch.Count; i++)
        {
            for (var c = 0; c < batch[i].Chunks.Count; c++)
            {
                positions.Add((i, c));
                if (positions.Count == GroupSize)
                {
                    yield return (positions, Analyze(positions));
                    positions = new List<(int Document, int Chunk)>(GroupSize);
                }
            }
        }

        if (positions.Count > 0)
        {
            yield return (positions, Analyze(positions));
        }

        string[] Analyze(List<(int Document, int Chunk)> group)
        {
            var terms = new string[group.Count];
            Parallel.For(0, terms.Length, k =>
            {
                var (document, chunk) = group[k];
                terms[k] = Join(titles[document], string.Join(' ', analyzer.Analyze(batch[document].Chunks[chunk].Text).Select(t => t.Term)));
            });
            return terms;
        }
    }

    private static string Join(string title, string body) => title.Length == 0 ? body : body.Length == 0 ? title : $"{title} {body}";
}
