namespace Sift.Core.Stages;

/// <summary>Turns text into index terms (lowercased, stopwords removed, stemmed), keeping where each came from.</summary>
public interface ITextAnalyzer
{
    /// <summary>Identity of the analysis chain; an index built with one analyzer is only valid with the same one.</summary>
    string Name { get; }

    IReadOnlyList<AnalyzedToken> Analyze(string text);

    /// <summary>
    /// The tokens of <paramref name="text"/> whose term is in <paramref name="terms"/> (an ordinal set): what
    /// highlighting needs. Implementations may skip materialising the tokens that do not match.
    /// </summary>
    IReadOnlyList<AnalyzedToken> Matches(string text, HashSet<string> terms) => [.. Analyze(text).Where(t => terms.Contains(t.Term))];
}

/// <summary>An index term and the character span of the word it came from.</summary>
public readonly record struct AnalyzedToken(string Term, int Start, int End);
