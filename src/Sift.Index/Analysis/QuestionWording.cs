using System.Runtime.CompilerServices;
using Sift.Core.Stages;

namespace Sift.Index.Analysis;

/// <summary>
/// Words that say how a sentence is worded, not what it is about ("how", "does", "what", "use"), as analyzed terms. A
/// corpus lacking them says nothing about whether it holds the answer, so measures of how much of a question or a
/// claim a passage covers leave them out. (The analyzer's own stop list is Lucene's 33 words, kept for BM25 parity
/// with published baselines.)
/// </summary>
public static class QuestionWording
{
    private const string Words = """
        what which who whom whose when where why how do does did doing done can could should would may might must shall
        i me my mine we us our you your he him his she her it its they them their there here one ones some any all
        about above after again against before below between during from into over under up down out off once more most
        other same so than too very just also only own both each few nor not no yes get gets got use used using make
        made way need needs know tell show explain describe give given mean means many much please work works
        is are was were be been being have has had having the a an and or but if of at by for with to in on as
        """;

    private static readonly ConditionalWeakTable<ITextAnalyzer, HashSet<string>> ByAnalyzer = [];

    /// <summary>The words as this analyzer's terms (analyzed once per analyzer).</summary>
    public static IReadOnlySet<string> Terms(ITextAnalyzer analyzer) =>
        ByAnalyzer.GetValue(analyzer, a => [.. a.Analyze(Words).Select(t => t.Term)]);
}
