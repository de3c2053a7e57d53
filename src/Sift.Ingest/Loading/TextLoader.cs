using Sift.Core.Documents;
using Sift.Core.Stages;

namespace Sift.Ingest.Loading;

/// <summary>Plain text: one document, titled by its file name.</summary>
public sealed class TextLoader : IDocumentLoader
{
    public IReadOnlyList<string> Extensions { get; } = [".txt", ".text"];

    public IEnumerable<SourceDocument> Load(string path, string documentId, LoadProblems problems)
    {
        var bytes = File.ReadAllBytes(path);
        if (FileText.Decode(bytes, path, problems) is not { } text)
        {
            return [];
        }

        return [FileText.Document(path, documentId, Path.GetFileNameWithoutExtension(path), text, bytes, "txt", [])];
    }
}
