using System.Security.Cryptography;
using System.Text;

namespace Sift.Core.Documents;

/// <summary>SHA-256 content hashes as lowercase hex, the form stored with documents and chunks.</summary>
public static class ContentHash
{
    public static string Of(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public static string Of(string text) => Of(Encoding.UTF8.GetBytes(text));

    /// <summary>Hash of several parts, separated so that ("ab","c") and ("a","bc") differ.</summary>
    public static string Of(params string[] parts) => Of(string.Join('\u001f', parts));
}
