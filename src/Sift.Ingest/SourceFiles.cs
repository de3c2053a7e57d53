using Sift.Core;
using Sift.Core.Documents;
using Sift.Ingest.Loading;

namespace Sift.Ingest;

/// <summary>
/// The files an ingest reads under a folder: regular, non-empty, non-hidden files a loader knows, each real file once
/// however many symbolic links lead to it, and no folder visited twice (a link back up, such as <c>a/up -> ..</c>, is
/// not a loop). Named pipes and devices report no size, so they are never opened (reading a pipe waits forever).
/// What was passed over is said in notices: unsupported files counted by type, empty files, links seen twice.
/// </summary>
internal static class SourceFiles
{
    public static List<string> Find(string root, LoaderRegistry loaders, ICollection<string> notices)
    {
        if (File.Exists(root))
        {
            if (loaders.For(root) is null)
            {
                throw new SiftException($"{root}: unsupported file type (supported: {string.Join(", ", loaders.Extensions)})");
            }

            if (new FileInfo(root).Length == 0)
            {
                notices.Add("skipped 1 empty file(s) or special file(s) (pipes, devices)");
                return [];
            }

            return [root];
        }

        if (!Directory.Exists(root))
        {
            throw new SiftException($"path not found: {root}");
        }

        var files = new List<string>();
        var realFiles = new HashSet<string>(StringComparer.Ordinal);
        var realFolders = new HashSet<string>(StringComparer.Ordinal);
        var unsupported = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        int empty = 0, repeated = 0;
        var pending = new Stack<string>([root]);
        var options = new EnumerationOptions { AttributesToSkip = FileAttributes.Hidden, IgnoreInaccessible = true };
        while (pending.Count > 0)
        {
            var folder = pending.Pop();
            if (SourcePaths.RealPathOrNull(new DirectoryInfo(folder)) is not { } realFolder || !realFolders.Add(realFolder))
            {
                repeated++;
                continue;
            }

            // Sorted, so that of two paths to one file the same one is kept (and ids stay the same) on every run.
            foreach (var sub in Directory.EnumerateDirectories(folder, "*", options).Order(StringComparer.Ordinal).Reverse())
            {
                pending.Push(sub);
            }

            foreach (var file in Directory.EnumerateFiles(folder, "*", options).Order(StringComparer.Ordinal))
            {
                if (loaders.For(file) is null)
                {
                    var type = Path.GetExtension(file) is { Length: > 0 } extension ? extension.ToLowerInvariant() : "(no extension)";
                    unsupported[type] = unsupported.GetValueOrDefault(type) + 1;
                    continue;
                }

                var info = new FileInfo(file);
                var real = SourcePaths.RealPathOrNull(info);
                if (real is null || !realFiles.Add(real))
                {
                    repeated++;
                    continue;
                }

                if (!File.Exists(real) || new FileInfo(real).Length == 0)
                {
                    empty++;
                    continue;
                }

                files.Add(file);
            }
        }

        if (unsupported.Count > 0)
        {
            notices.Add($"skipped {unsupported.Values.Sum()} file(s) of unsupported types: {string.Join(", ", unsupported.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"))}");
        }

        if (empty > 0)
        {
            notices.Add($"skipped {empty} empty file(s) or special file(s) (pipes, devices)");
        }

        if (repeated > 0)
        {
            notices.Add($"skipped {repeated} file(s) or folder(s) reached a second time through a symbolic link");
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }
}
