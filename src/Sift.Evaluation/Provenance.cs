using Sift.Core;

namespace Sift.Evaluation;

/// <summary>What produced an evaluation run, recorded in its report so two runs can be told apart later.</summary>
public sealed record Provenance(
    string SiftVersion,
    string DatasetSha256,
    string Collection,
    long CollectionGeneration,
    string Chunker,
    string Analyzer,
    string Embedder,
    string Retriever,
    string Fusion,
    string Reranker,
    string? PromptVersion,
    string? Model,
    DateTimeOffset RanAt)
{
    public static string Version => SiftBuild.Version;

    /// <summary>SHA-256 over the dataset's files (names and bytes, in name order), so a changed test set is visible.</summary>
    public static string HashFiles(IEnumerable<string> files)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\0"));
            sha.AppendData(File.ReadAllBytes(file));
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    public static string HashFile(string file) => HashFiles([file]);
}
