using Lucene.Net.Analysis;
using Lucene.Net.Analysis.Core;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.Standard;
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
    private readonly MatchingAnalyzer _matching = new();

    public string Name => "lucene-english-porter-v1";

    public IReadOnlyList<AnalyzedToken> Analyze(string text) => Tokens(_analyzer, text, null);

    /// <summary>
    /// The tokens whose terms are in <paramref name="terms"/>, as <see cref="Analyze"/> would find them, at a fraction
    /// of the cost (snippets run this on every hit): Porter stemming only rewrites a word's ending, so a word whose
    /// first letter starts no wanted term is dropped before it is stemmed, and terms are compared in place, so only
    /// matching tokens allocate a string. A set passed again is taken as unchanged (its initials are kept per thread).
    /// </summary>
    public IReadOnlyList<AnalyzedToken> Matches(string text, HashSet<string> terms)
    {
        MatchingAnalyzer.Want(terms);
        return Tokens(_matching, text, terms);
    }

    private static List<AnalyzedToken> Tokens(Analyzer analyzer, string text, HashSet<string>? only)
    {
        // About one token per six characters of English prose: sized once instead of grown.
        var tokens = new List<AnalyzedToken>(only is null ? (text.Length / 6) + 1 : 8);
        var lookup = only?.GetAlternateLookup<ReadOnlySpan<char>>();
        using var stream = analyzer.GetTokenStream("text", text);
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

    public void Dispose()
    {
        _analyzer.Dispose();
        _matching.Dispose();
    }

    /// <summary>
    /// EnglishAnalyzer's chain (Lucene 4.8) with one filter before stemming that keeps only words starting with one of
    /// <see cref="Initials"/>. Lucene reuses a chain per thread, so the wanted initials are per thread too.
    /// </summary>
    private sealed class MatchingAnalyzer : Analyzer
    {
        [ThreadStatic]
        private static string? t_initials;

        // Snippets match one query's set against every hit: the initials are worked out once per set, not per hit.
        [ThreadStatic]
        private static HashSet<string>? t_terms;

        public static string Initials => t_initials ?? "";

        public static void Want(HashSet<string> terms)
        {
            if (!ReferenceEquals(t_terms, terms))
            {
                t_initials = string.Concat(terms.Where(t => t.Length > 0).Select(t => t[0]).Distinct());
                t_terms = terms;
            }
        }

        protected override TokenStreamComponents CreateComponents(string fieldName, TextReader reader)
        {
            var source = new StandardTokenizer(LuceneVersion.LUCENE_48, reader);
            TokenStream result = new StandardFilter(LuceneVersion.LUCENE_48, source);
            result = new EnglishPossessiveFilter(LuceneVersion.LUCENE_48, result);
            result = new LowerCaseFilter(LuceneVersion.LUCENE_48, result);
            result = new StopFilter(LuceneVersion.LUCENE_48, result, EnglishAnalyzer.DefaultStopSet);
            result = new InitialFilter(result);
            return new TokenStreamComponents(source, new PorterStemFilter(result));
        }
    }

    private sealed class InitialFilter(TokenStream input) : Lucene.Net.Analysis.Util.FilteringTokenFilter(LuceneVersion.LUCENE_48, input)
    {
        private readonly ICharTermAttribute _term = input.AddAttribute<ICharTermAttribute>();

        protected override bool Accept() => _term.Length > 0 && MatchingAnalyzer.Initials.Contains(_term.Buffer[0], StringComparison.Ordinal);
    }
}
