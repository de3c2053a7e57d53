using Sift.Core;
using Sift.Core.Documents;
using Sift.Ingest.Chunking;

namespace Sift.Tests.Ingest;

public sealed class ChunkerTests
{
    private static SourceDocument Document(string text, params DocumentSection[] sections) =>
        new("doc", "/tmp/doc", "Title", text, ContentHash.Of(text), new Dictionary<string, string>(), sections);

    private static string Words(int count, string prefix = "w") => string.Join(' ', Enumerable.Range(0, count).Select(i => $"{prefix}{i}"));

    [Fact]
    public void FixedWindowsHaveTheSizeAndShareTheOverlap()
    {
        var document = Document(Words(25));
        var chunks = new FixedTokenChunker(size: 10, overlap: 3).Split(document);

        // Windows start every 7 words: 0-9, 7-16, 14-23, 21-24.
        Assert.Equal(["w0", "w7", "w14", "w21"], chunks.Select(c => c.Text.Split(' ')[0]));
        Assert.All(chunks.SkipLast(1), c => Assert.Equal(10, c.Text.Split(' ').Length));
        Assert.Equal("w24", chunks[^1].Text.Split(' ')[^1]);
        Assert.All(chunks, c => Assert.Equal(c.Text, document.Text[c.Start..c.End]));
        Assert.Equal([0, 1, 2, 3], chunks.Select(c => c.Ordinal));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(10, 10)]
    [InlineData(10, -1)]
    public void FixedChunkerRejectsImpossibleSettings(int size, int overlap)
    {
        Assert.Throws<SiftException>(() => new FixedTokenChunker(size, overlap));
    }

    [Fact]
    public void RecursiveChunkerKeepsSectionsApartAndCarriesTheirHeadingPath()
    {
        var first = "Short intro paragraph.";
        var second = "Another section with its own words.";
        var text = first + "\n\n" + second;
        var document = Document(text,
            new DocumentSection(0, first.Length + 2, ["Intro"], null),
            new DocumentSection(first.Length + 2, text.Length, ["Intro", "More"], 3));

        var chunks = new RecursiveChunker(size: 100).Split(document);

        Assert.Equal([first, second], chunks.Select(c => c.Text));
        Assert.Equal(["Intro", "More"], chunks[1].HeadingPath);
        Assert.Equal(3, chunks[1].Page);
    }

    [Fact]
    public void RecursiveChunkerSplitsByParagraphThenSentenceAndMergesWhileTheyFit()
    {
        var paragraphA = "Alpha one two three. Beta four five six.";   // 8 words
        var paragraphB = "Gamma seven eight nine ten eleven twelve.";  // 7 words
        var text = paragraphA + "\n\n" + paragraphB;
        var chunks = new RecursiveChunker(size: 8).Split(Document(text));

        Assert.Equal([paragraphA, paragraphB], chunks.Select(c => c.Text));

        // At size 5 the first paragraph is split at its sentence boundary.
        var small = new RecursiveChunker(size: 5).Split(Document(text));
        Assert.Equal("Alpha one two three.", small[0].Text);
        Assert.Equal("Beta four five six.", small[1].Text);
        Assert.All(small, c => Assert.True(c.Text.Split(' ').Length <= 5, c.Text));
        Assert.All(small, c => Assert.Equal(c.Text, text[c.Start..c.End]));
    }

    [Theory]
    [InlineData("recursive")]
    [InlineData("fixed")]
    public void NoChunkExceedsItsSizeEvenWhenTextHasNoSpacesToCutAt(string name)
    {
        // 20,000 characters without a space (a base64 blob, a table glued together), between ordinary words.
        var text = $"{Words(50)} {new string('x', 20_000)} {Words(50, "v")}";
        var chunker = ChunkerFactory.Create(name, size: 100, overlap: 10);
        var chunks = chunker.Split(Document(text));

        // 64-character pieces of the run count as words: at most 100 of them, 6,400 characters, per chunk.
        Assert.All(chunks, c => Assert.True(c.Text.Length <= 100 * (WordLimit + 1), $"chunk of {c.Text.Length} characters"));
        Assert.All(chunks, c => Assert.Equal(c.Text, text[c.Start..c.End]));
        Assert.True(chunks.Count >= 4, $"{chunks.Count} chunks: the run must be cut, not kept whole");
        Assert.Contains(chunks, c => c.Text.Contains("v49", StringComparison.Ordinal));
    }

    private const int WordLimit = 64;

    [Fact]
    public void RecursiveChunkerCutsARunOnSentenceByWords()
    {
        var chunks = new RecursiveChunker(size: 4).Split(Document(Words(10)));
        Assert.Equal(["w0 w1 w2 w3", "w4 w5 w6 w7", "w8 w9"], chunks.Select(c => c.Text));
    }

    [Fact]
    public void WholeDocumentChunkerGivesOneChunkEvenForAnEmptyBody()
    {
        var chunks = new WholeDocumentChunker().Split(Document(""));
        Assert.Single(chunks);
        Assert.Equal(ContentHash.Of(""), chunks[0].ContentHash);
    }

    [Fact]
    public void UnknownChunkerNameListsTheChoices()
    {
        var error = Assert.Throws<SiftException>(() => ChunkerFactory.Create("semantic"));
        Assert.Contains("recursive, fixed, document", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("recursive", 120, 0)]
    [InlineData("fixed", 64, 16)]
    [InlineData("document", 0, 0)]
    public void AChunkerIsRebuiltFromTheFingerprintACollectionRecords(string name, int size, int overlap)
    {
        var original = ChunkerFactory.Create(name, size, overlap);
        var rebuilt = ChunkerFactory.FromFingerprint(original.Fingerprint);

        Assert.Equal(original.Fingerprint, rebuilt.Fingerprint);
        var document = Document(Words(500));
        Assert.Equal(original.Split(document).Select(c => c.Text), rebuilt.Split(document).Select(c => c.Text));
    }

    [Fact]
    public void ACollectionWithoutARecordedChunkerGetsTheDefaultAndAnUnreadableOneIsAnError()
    {
        Assert.Equal(ChunkerFactory.Create("recursive").Fingerprint, ChunkerFactory.FromFingerprint("").Fingerprint);
        var error = Assert.Throws<SiftException>(() => ChunkerFactory.FromFingerprint("fixed(size=big)"));
        Assert.Contains("fixed(size=big)", error.Message, StringComparison.Ordinal);
        Assert.Throws<SiftException>(() => ChunkerFactory.FromFingerprint("semantic(size=3)"));
    }
}
