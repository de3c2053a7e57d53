using System.Text;
using System.Text.RegularExpressions;
using Sift.Core.Documents;
using Sift.Core.Stages;

namespace Sift.Ingest.Loading;

/// <summary>What every single-document file loader shares: decoding, hashing and the standard metadata.</summary>
internal static partial class FileText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    static FileText() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>
    /// The file's text: UTF-8, or the encoding its byte-order mark names (UTF-8, UTF-16, UTF-32), or UTF-16 recognised
    /// by its zero bytes; bytes that are not valid UTF-8 are read in the charset the file declares (HTML meta, XML
    /// declaration) or else windows-1252, and a notice says so. Binary content (NUL bytes, or mostly control characters)
    /// is not text: a notice says the file was skipped and the result is null.
    /// </summary>
    public static string? Decode(byte[] bytes, string path, LoadProblems problems)
    {
        if (ByteOrderMark(bytes) is { } marked)
        {
            return marked.Encoding.GetString(bytes, marked.Length, bytes.Length - marked.Length);
        }

        if (Array.IndexOf(bytes, (byte)0) >= 0)
        {
            if (Utf16WithoutMark(bytes) is { } utf16)
            {
                problems.Notice($"{path}: no byte-order mark; read as {utf16.WebName} (zero bytes in every other position)");
                return utf16.GetString(bytes);
            }

            problems.Notice($"{path}: skipped: binary content (NUL bytes), not text");
            return null;
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            var markup = Path.GetExtension(path).ToLowerInvariant() is ".html" or ".htm" or ".xml" or ".xhtml";
            var encoding = (markup ? Declared(bytes) : null) ?? Encoding.GetEncoding(1252);
            problems.Notice($"{path}: not valid UTF-8; read as {encoding.WebName}");
            text = encoding.GetString(bytes);
        }

        if (LooksBinary(text))
        {
            problems.Notice($"{path}: skipped: binary content (mostly control characters), not text");
            return null;
        }

        return text;
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

    private static (Encoding Encoding, int Length)? ByteOrderMark(byte[] b) => b switch
    {
        [0xEF, 0xBB, 0xBF, ..] => (new UTF8Encoding(false), 3),
        [0xFF, 0xFE, 0x00, 0x00, ..] => (new UTF32Encoding(bigEndian: false, byteOrderMark: false), 4),
        [0x00, 0x00, 0xFE, 0xFF, ..] => (new UTF32Encoding(bigEndian: true, byteOrderMark: false), 4),
        [0xFF, 0xFE, ..] => (new UnicodeEncoding(bigEndian: false, byteOrderMark: false), 2),
        [0xFE, 0xFF, ..] => (new UnicodeEncoding(bigEndian: true, byteOrderMark: false), 2),
        _ => null,
    };

    /// <summary>UTF-16 text of Latin script has a zero in nearly every other byte, on one side.</summary>
    private static Encoding? Utf16WithoutMark(byte[] bytes)
    {
        var sample = Math.Min(bytes.Length & ~1, 4096);
        if (sample < 4)
        {
            return null;
        }

        int evenZeros = 0, oddZeros = 0;
        for (var i = 0; i < sample; i += 2)
        {
            evenZeros += bytes[i] == 0 ? 1 : 0;
            oddZeros += bytes[i + 1] == 0 ? 1 : 0;
        }

        var pairs = sample / 2;
        return oddZeros > pairs * 0.7 && evenZeros < pairs * 0.1 ? new UnicodeEncoding(bigEndian: false, byteOrderMark: false)
            : evenZeros > pairs * 0.7 && oddZeros < pairs * 0.1 ? new UnicodeEncoding(bigEndian: true, byteOrderMark: false)
            : null;
    }

    /// <summary>A charset the file itself declares in its first 2 KB (HTML meta or an XML declaration), when .NET knows it.</summary>
    private static Encoding? Declared(byte[] bytes)
    {
        var head = Encoding.ASCII.GetString(bytes, 0, Math.Min(bytes.Length, 2048));
        var match = DeclaredCharset().Match(head);
        if (!match.Success)
        {
            return null;
        }

        try
        {
            // Only a single-byte, ASCII-compatible charset can describe bytes that are not UTF-8 and hold no NUL; a claim
            // of UTF-8 (or -16, -32) for them is wrong, so fall back.
            var encoding = Encoding.GetEncoding(match.Groups[1].Value);
            return encoding.IsSingleByte ? encoding : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static bool LooksBinary(string text)
    {
        var sample = text.AsSpan(0, Math.Min(text.Length, 8192));
        var control = 0;
        foreach (var c in sample)
        {
            control += char.IsControl(c) && c is not ('\t' or '\n' or '\r' or '\f' or '\v') ? 1 : 0;
        }

        return sample.Length > 0 && control > sample.Length * 0.1;
    }

    [GeneratedRegex(@"(?:charset|encoding)\s*=\s*[""']?([A-Za-z0-9_:.-]+)", RegexOptions.IgnoreCase)]
    private static partial Regex DeclaredCharset();
}
