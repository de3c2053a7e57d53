namespace Sift.Evaluation.Monitoring;

/// <summary>
/// A coarse guess at a query's language from its function words: enough to notice traffic in a language the
/// collection was not built for, which is what drift monitoring needs, not a language identifier.
/// </summary>
public static class QueryLanguage
{
    private static readonly Dictionary<string, string[]> FunctionWords = new(StringComparer.Ordinal)
    {
        ["en"] = ["the", "of", "and", "is", "in", "to", "a", "what", "how", "does", "for", "with", "are", "which", "why", "can"],
        ["de"] = ["der", "die", "das", "und", "ist", "nicht", "wie", "was", "mit", "ein", "eine", "für", "von", "zu"],
        ["fr"] = ["le", "la", "les", "et", "est", "des", "une", "du", "que", "qui", "pour", "dans", "comment", "quoi"],
        ["es"] = ["el", "los", "las", "y", "es", "del", "una", "que", "qué", "para", "con", "por", "cómo", "cuál"],
        ["it"] = ["il", "gli", "e", "è", "della", "che", "per", "con", "una", "sono", "come", "perché"],
        ["nl"] = ["de", "het", "een", "en", "is", "van", "niet", "wat", "hoe", "voor", "met", "zijn"],
        ["pt"] = ["o", "os", "as", "e", "é", "do", "da", "uma", "que", "para", "com", "não", "como"],
    };

    public const string Undetermined = "und";

    public static string Detect(string text)
    {
        var words = text.ToLowerInvariant().Split([' ', '\t', '\n', '\r', ',', '.', '?', '!', ';', ':', '(', ')', '"', '\''], StringSplitOptions.RemoveEmptyEntries);
        var best = (Language: Undetermined, Hits: 0);
        foreach (var (language, list) in FunctionWords)
        {
            var hits = words.Count(w => Array.IndexOf(list, w) >= 0);
            if (hits > best.Hits)
            {
                best = (language, hits);
            }
        }

        return best.Language;
    }
}
