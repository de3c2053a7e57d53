using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Stages;
using Sift.Generation.Citations;
using Sift.Generation.Context;
using Sift.Generation.Extractive;
using Sift.Index.Analysis;

namespace Sift.Tests.Generation;

public sealed class GenerationTests
{
    private static readonly EnglishTextAnalyzer Analyzer = new();
    private static readonly ContextAssembler Assembler = new(ContextAssembler.DefaultTokenizer);

    private static RetrievedChunk Chunk(int rank, string text, string document = "doc") =>
        new(new StoredChunk(rank, $"{document}{rank}", $"/src/{document}{rank}.md", "", text, 100, 100 + text.Length, [], null), 10.0 / rank, rank);

    [Fact]
    public void StrongestPassagesGoToBothEdgesAndLabelsFollowReadingOrder()
    {
        var chunks = Enumerable.Range(1, 5).Select(r => Chunk(r, $"passage number {r} text")).ToList();
        var context = Assembler.Assemble(chunks, 10_000);

        Assert.Equal([1, 3, 5, 4, 2], context.Passages.Select(p => p.Chunk.Rank));
        Assert.Equal([1, 2, 3, 4, 5], context.Passages.Select(p => p.Label));
        Assert.Equal([1, 2, 3, 4, 5], ContextAssembler.EdgesFirst([1, 2, 3, 4, 5]).Order());
    }

    [Fact]
    public void TheBudgetIsCountedWithTheTokenizerAndDuplicatesAreDropped()
    {
        var chunks = new List<RetrievedChunk> { Chunk(1, "alpha beta gamma"), Chunk(2, "Alpha  beta\ngamma"), Chunk(3, string.Join(' ', Enumerable.Repeat("delta", 400))), Chunk(4, "epsilon") };
        var context = Assembler.Assemble(chunks, 60);

        Assert.Equal([1, 4], context.Passages.Select(p => p.Chunk.Rank).Order());
        Assert.Equal(1, context.Dropped);
        Assert.Equal(context.Passages.Sum(p => p.Tokens), context.Tokens);
        Assert.True(context.Tokens <= 60);
        Assert.Equal(Assembler.CountTokens(context.Passages[0].Render()), context.Passages[0].Tokens);
    }

    [Fact]
    public void O200kCountsDifferentlyFromCl100kAndUnknownTokenizersAreRefused()
    {
        var text = "Retrieval-augmented generation grounds answers in sources, 検索拡張生成.";
        var cl100k = ContextAssembler.TokenizerFor("cl100k").CountTokens(text);
        var o200k = ContextAssembler.TokenizerFor("o200k").CountTokens(text);
        Assert.True(cl100k > 0 && o200k > 0);
        Assert.NotEqual(cl100k, o200k);
        Assert.Throws<SiftException>(() => ContextAssembler.TokenizerFor("gpt2"));
    }

    [Fact]
    public void ABudgetTooSmallForAnyPassageIsAClearError()
    {
        var error = Assert.Throws<SiftException>(() => Assembler.Assemble([Chunk(1, "a passage that needs several tokens")], 3));
        Assert.Contains("cannot hold even one passage", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACitedSentenceThePassageDoesNotSupportIsFlagged()
    {
        using var analyzer = new Sift.Index.Analysis.EnglishTextAnalyzer();
        var context = Assembler.Assemble([Chunk(1, "SQLite's write-ahead log is turned on with PRAGMA journal_mode=WAL.")], 1000);
        var label = context.Passages[0].Label;
        var checker = new CitationChecker(new CitationSupport(analyzer));

        var cheese = checker.Check($"The moon is made of cheese [{label}].", context);
        Assert.Equal(["The moon is made of cheese."], cheese.UnsupportedSentences);
        Assert.False(cheese.IsClean);
        // Content terms moon, made, chees: none in the passage, score 0; "turn on WAL": turn, wal both held, score 1.
        Assert.Equal(0, new CitationSupport(analyzer).Score("The moon is made of cheese.", context.Passages[0].Chunk.Chunk.Text));
        Assert.Empty(checker.Check($"Turn on WAL with the journal_mode pragma [{label}].", context).UnsupportedSentences!);
    }

    [Fact]
    public void CitationsAreCheckedAgainstTheContext()
    {
        var context = Assembler.Assemble([Chunk(1, "Cats purr when content. Cats sleep a lot."), Chunk(2, "Dogs bark at strangers.")], 1000);
        var labelOf = context.Passages.ToDictionary(p => p.Chunk.Rank, p => p.Label);
        var answer = $"Cats sleep a lot [{labelOf[1]}]. Dogs bark [{labelOf[2]}, 7]. Birds sing [9]. Fish swim.";

        var report = new CitationChecker().Check(answer, context);

        Assert.Equal([7, 9], report.InvalidMarkers);
        Assert.Equal(["Birds sing.", "Fish swim."], report.UncitedSentences);
        Assert.DoesNotContain("7", report.RepairedAnswer, StringComparison.Ordinal);
        // A marker removed whole leaves no space before the full stop.
        Assert.EndsWith($"Dogs bark [{labelOf[2]}]. Birds sing. Fish swim.", report.RepairedAnswer, StringComparison.Ordinal);
        var cats = Assert.Single(report.Citations, c => c.Label == labelOf[1]);
        Assert.Equal("Cats sleep a lot.", cats.Quote);
        Assert.Equal(100 + "Cats purr when content. ".Length, cats.Start);
        Assert.False(report.IsClean);
    }

    [Fact]
    public void ASpanIsWhereTheQuotedSentenceSitsEvenAcrossLineBreaksAndEachCitingSentenceGetsItsOwn()
    {
        const string text = "# Title\n\nThe quarterly report was written in March.\nThe audit   committee found\nthat inventory was overvalued. It was corrected.";
        var context = Assembler.Assemble([Chunk(1, text)], 1000);
        var label = context.Passages[0].Label;
        var answer = $"A report was written in March [{label}]. The audit committee found inventory overvalued [{label}].";

        var citations = new CitationChecker().Check(answer, context).Citations;

        Assert.Equal(["The quarterly report was written in March.", "The audit committee found that inventory was overvalued."], citations.Select(c => c.Quote));
        // The span, read back from the chunk's own text (as `sift documents show --span` does), is the quote.
        Assert.All(citations, c => Assert.Equal(c.Quote, string.Join(' ', text[(c.Start - 100)..(c.End - 100)].Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries))));
        Assert.Equal(100 + text.IndexOf("The audit", StringComparison.Ordinal), citations[1].Start);
    }

    [Fact]
    public void ExtractiveAnswersCiteTheBestSentencesAndAbstainWhenNothingMatches()
    {
        var context = Assembler.Assemble(
        [
            Chunk(1, "BM25 normalises term counts by document length.\nThe constant b controls how much length matters. Unrelated filler sentence here."),
            Chunk(2, "Reciprocal rank fusion merges rankings by position."),
        ], 1000);
        var answerer = new ExtractiveAnswerer(Analyzer);

        var answer = answerer.Answer("How does BM25 handle document length?", context);
        Assert.NotNull(answer);
        var label = context.Passages.Single(p => p.Chunk.Rank == 1).Label;
        Assert.StartsWith($"BM25 normalises term counts by document length [{label}].", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("filler", answer, StringComparison.Ordinal);
        Assert.True(new CitationChecker().Check(answer, context).IsClean);

        Assert.Null(answerer.Answer("What is the capital of France?", context));
    }
}
