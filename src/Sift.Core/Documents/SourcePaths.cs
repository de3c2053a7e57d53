namespace Sift.Core.Documents;

/// <summary>Where documents come from on disk: one rule for "inside this folder" and one real path per file, shared by ingest and the store.</summary>
public static class SourcePaths
{
    /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or lies below it (a sibling "docs2" is not under "docs").</summary>
    public static bool IsUnder(string path, string folder) =>
        path == folder || path.StartsWith(folder.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>
    /// The path with every symbolic link along it resolved (as given when it does not exist): one file or folder is
    /// then one source however it was reached, so reaching a folder through a link does not ingest it again.
    /// </summary>
    public static string Canonical(string path)
    {
        var full = Path.GetFullPath(path);
        return File.Exists(full) ? RealPathOrNull(new FileInfo(full)) ?? full
            : Directory.Exists(full) ? RealPathOrNull(new DirectoryInfo(full)) ?? full
            : full;
    }

    /// <summary>The real path, or null for a link that loops (it leads nowhere readable).</summary>
    public static string? RealPathOrNull(FileSystemInfo entry)
    {
        try
        {
            return RealPath(entry);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The path with every symbolic link along it resolved.</summary>
    private static string RealPath(FileSystemInfo entry)
    {
        var parent = entry is FileInfo file ? file.Directory : ((DirectoryInfo)entry).Parent;
        var path = parent is null ? entry.FullName : Path.Combine(RealPath(parent), entry.Name);
        return (entry.LinkTarget is not null ? entry.ResolveLinkTarget(returnFinalTarget: true)?.FullName : null) is { } target && target != path
            ? RealPath(target.EndsWith(Path.DirectorySeparatorChar) || Directory.Exists(target) ? new DirectoryInfo(target) : new FileInfo(target))
            : path;
    }
}
