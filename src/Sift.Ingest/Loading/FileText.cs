using System.Text;
using Sift.Core.Documents;

namespace Sift.Ingest.Loading;

/// <summary>What every single-document file loader shares: decoding, hashing and the standard metadata.</summary>
internal static class FileText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public static string Decode(byte[] bytes)
    {
        var text = StrictUtf8.GetString(bytes);
        return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
    }

    public static SourceDocument Document(
        string path, string id, string title, string text, byte[] raw, string type, IReadOnlyList<DocumentSection> sections) =>
        new(
            id,
            Path.GetFullPath(path),
            title,
            text,
            ContentHash.Of(raw),
            new Dictionary<string, string>(StringComparer.Ordinal) { ["type"] = type },
            sections);
}
