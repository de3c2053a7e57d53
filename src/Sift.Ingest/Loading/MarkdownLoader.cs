using Markdig;
using Markdig.Syntax;
using Sift.Core.Documents;
using Sift.Core.Stages;

namespace Sift.Ingest.Loading;

/// <summary>
/// Markdown: the text is kept as written (so offsets point into the file) and every heading opens a section whose
/// heading path ("Install > Linux") travels with the chunks under it.
/// </summary>
public sealed class MarkdownLoader : IDocumentLoader
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseYamlFrontMatter().Build();

    public IReadOnlyList<string> Extensions { get; } = [".md", ".markdown"];

    public IEnumerable<SourceDocument> Load(string path, string documentId, LoadProblems problems)
    {
        var bytes = File.ReadAllBytes(path);
        if (FileText.Decode(bytes, path, problems) is not { } text)
        {
            return [];
        }

        var parsed = Markdown.Parse(text, Pipeline);

        var outline = new SectionOutline();
        foreach (var heading in parsed.Descendants<HeadingBlock>())
        {
            outline.Heading(heading.Level, HeadingText(text, heading), heading.Span.Start);
        }

        var sections = outline.Finish(text.Length);
        return [FileText.Document(
            path, documentId, outline.FirstHeading ?? Path.GetFileNameWithoutExtension(path), text, bytes, "md", sections)];
    }

    private static string HeadingText(string text, HeadingBlock heading)
    {
        var raw = text.Substring(heading.Span.Start, Math.Min(heading.Span.Length, text.Length - heading.Span.Start));
        var firstLine = raw.Split('\n', 2)[0];
        return firstLine.Trim().TrimStart('#').TrimEnd('#').Trim();
    }
}
