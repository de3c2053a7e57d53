using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sift.Generation.Citations;
using Sift.Tests.Support;

namespace Sift.Tests.Generation;

/// <summary>
/// The sentence splitter against its definition, written as a regular expression (the splitter is a hand-written
/// scanner because the expression was slow): boundaries after ., ! or ? and any [n] markers that follow, spaced or
/// not (where whitespace follows), at blank lines, and around heading lines.
/// </summary>
public sealed partial class SentenceSplitTests
{
    [GeneratedRegex(@"(?<=[.!?](?:\s*\[\s*\d+(?:\s*,\s*\d+)*\s*\])*)\s+(?!\s|\[\s*\d+(?:\s*,\s*\d+)*\s*\])|\n[ \t]*\n\s*|\n(?=[ \t]*#)|(?<=^[ \t]*#[^\n]*)\n", RegexOptions.Multiline)]
    private static partial Regex Definition();

    private static List<string> Expected(string text) =>
        [.. Definition().Split(text).Select(s => string.Join(' ', s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))).Where(s => s.Length > 0)];

    [Fact]
    public void SplitsAfterEndPunctuationAndMarkersAtBlankLinesAndAroundHeadings()
    {
        var text = "# Setup\nInstall it [1]. Then run it! [2][3]  Does it work? Yes [4, 5].\nStill the same\nsentence.\n\nNew paragraph\n  ## Next heading\nBody v1.2 stays whole.";
        Assert.Equal(
            ["# Setup", "Install it [1].", "Then run it! [2][3]", "Does it work?", "Yes [4, 5].", "Still the same sentence.", "New paragraph", "## Next heading", "Body v1.2 stays whole."],
            CitationChecker.Sentences(text));
    }

    [Fact]
    public void AgreesWithTheDefinitionOnRandomTextBuiltFromTheCharactersThatMatter()
    {
        var random = new Random(2026);
        string[] pieces = ["a", "word", " ", "  ", "\n", "\t", "\r\n", ".", "!", "?", "[", "]", "1", "23", ",", " , ", "#", "\u00a0", "\u0663"];
        for (var n = 0; n < 20_000; n++)
        {
            var text = new StringBuilder();
            for (var length = random.Next(0, 30); length > 0; length--)
            {
                text.Append(pieces[random.Next(pieces.Length)]);
            }

            Assert.True(Expected(text.ToString()).SequenceEqual(CitationChecker.Sentences(text.ToString())), $"differs on {JsonSerializer.Serialize(text.ToString())}");
        }
    }

    [Theory]
    [InlineData("scifact")]
    [InlineData("nfcorpus")]
    public void AgreesWithTheDefinitionOnEveryDocumentOfAPublicCorpus(string dataset)
    {
        foreach (var line in File.ReadLines(Path.Combine(Paths.Dataset(dataset), "corpus.jsonl")))
        {
            using var document = JsonDocument.Parse(line);
            var text = document.RootElement.GetProperty("text").GetString()!;
            Assert.Equal(Expected(text), CitationChecker.Sentences(text));
        }
    }
}
