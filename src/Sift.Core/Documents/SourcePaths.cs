namespace Sift.Core.Documents;

/// <summary>Where documents come from on disk: one rule for "inside this folder", shared by ingest and the store.</summary>
public static class SourcePaths
{
    /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or lies below it (a sibling "docs2" is not under "docs").</summary>
    public static bool IsUnder(string path, string folder) =>
        path == folder || path.StartsWith(folder.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
