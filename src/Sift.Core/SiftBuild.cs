using System.Reflection;

namespace Sift.Core;

/// <summary>This Sift's version as built (version and commit), recorded with versions and evaluation reports.</summary>
public static class SiftBuild
{
    public static string Version { get; } =
        typeof(SiftBuild).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
