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

    public IReadOnlyList<AnalyzedToken> Analyze(string text) => Tokens(text, null);

    /// <summary>Compares each term's characters with the set in place, so only matching tokens allocate a string.</summary>
    public IReadOnlyList<AnalyzedToken> Matches(string text, HashSet<string> terms) => Tokens(text, terms);

    private List<AnalyzedToken> Tokens(string text, HashSet<string>? only)
    {
        // About one token per six characters of English prose: sized once instead of grown.
        var tokens = new List<AnalyzedToken>(only is null ? (text.Length / 6) + 1 : 4);
        var lookup = only?.GetAlternateLookup<ReadOnlySpan<char>>();
        using var stream = _analyzer.GetTokenStream("text", text);
        var term = stream.AddAttribute<ICharTermAttribute>();
        var offset = stream.AddAttribute<IOffsetAttribute>();
        stream.Reset();
        while (stream.IncrementToken())
        {
            if (lookup is not { } set)
            {
                tokens.Add(new AnalyzedToken(term.ToString(), offset.StartOffset, offset.EndOffset));
            }
            else if (set.TryGetValue(term.Buffer.AsSpan(0, term.Length), out var matched))
            {
                tokens.Add(new AnalyzedToken(matched, offset.StartOffset, offset.EndOffset));
            }
        }

        stream.End();
        return tokens;
    }

    public void Dispose() => _analyzer.Dispose();
}
