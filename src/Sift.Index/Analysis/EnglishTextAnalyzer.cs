using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Util;
using Sift.Core.Stages;

namespace Sift.Index.Analysis;

/// <summary>
/// English analysis as Lucene (and so Pyserini/Anserini) does it: Unicode word tokenizer, possessive removal,
/// lowercase, the standard English stopword list, Porter stemming. Thread-safe.
/// </summary>
public sealed class EnglishTextAnalyzer : ITextAnalyzer, IDisposable
{
    private readonly EnglishAnalyzer _analyzer = new(LuceneVersion.LUCENE_48);

    public string Name => "lucene-english-porter-v1";

    public IReadOnlyList<AnalyzedToken> Analyze(string text)
    {
        var tokens = new List<AnalyzedToken>();
        using var stream = _analyzer.GetTokenStream("text", text);
        var term = stream.AddAttribute<ICharTermAttribute>();
        var offset = stream.AddAttribute<IOffsetAttribute>();
        stream.Reset();
        while (stream.IncrementToken())
        {
            tokens.Add(new AnalyzedToken(term.ToString(), offset.StartOffset, offset.EndOffset));
        }

        stream.End();
        return tokens;
    }

    public void Dispose() => _analyzer.Dispose();
}
