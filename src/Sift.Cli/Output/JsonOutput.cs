using System.Text.Json;

namespace Sift.Cli.Output;

/// <summary>The JSON written by <c>--json</c> and <c>--out</c>: camelCase, indented, stable field names.</summary>
internal static class JsonOutput
{
    /// <summary>The same options as reports kept with versions, so a report reads the same from a file or a version.</summary>
    public static JsonSerializerOptions Options => Composition.ReportJson.Options;

    public static void Write(object value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Options));

    public static void WriteFile(string path, object value)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        File.WriteAllText(path, JsonSerializer.Serialize(value, Options) + "\n");
    }
}
