namespace Sift.Cli.Output;

/// <summary>Where a passage sits in its document, as the CLI shows it: "Install > Linux, page 3" (empty when unknown).</summary>
internal static class Place
{
    public static string Of(IReadOnlyList<string>? headingPath, int? page) =>
        string.Join(", ", new[] { string.Join(" > ", headingPath ?? []), page is { } number ? $"page {number}" : "" }.Where(part => part.Length > 0));
}
