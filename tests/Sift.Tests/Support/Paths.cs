namespace Sift.Tests.Support;

/// <summary>Where the repository and the shared public datasets are, found from the test binary's location.</summary>
public static class Paths
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>../shared/datasets beside the repository (or $SIFT_DATASETS), as every developer and CI machine has.</summary>
    public static string Datasets
    {
        get
        {
            var folder = Environment.GetEnvironmentVariable("SIFT_DATASETS")
                ?? Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "datasets"));
            return Directory.Exists(folder)
                ? folder
                : throw new InvalidOperationException($"public datasets not found at {folder} (set SIFT_DATASETS)");
        }
    }

    public static string Dataset(string name) => Path.Combine(Datasets, name);

    private static string FindRepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Sift.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("Sift.sln not found above " + AppContext.BaseDirectory);
    }
}
