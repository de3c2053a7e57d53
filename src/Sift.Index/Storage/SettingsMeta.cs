using System.Globalization;
using Sift.Core;
using Sift.Core.Storage;
using Sift.Index.Vectors;

namespace Sift.Index.Storage;

/// <summary>
/// <see cref="CollectionSettings"/> as the key/value text every store keeps them in ("setting.mode" = "hybrid"), so
/// settings read alike, validate alike and copy between backends unchanged.
/// </summary>
public static class SettingsMeta
{
    public const string Prefix = "setting.";

    public static CollectionSettings Read(IReadOnlyDictionary<string, string> meta)
    {
        string? Text(string key) => meta.GetValueOrDefault(Prefix + key);
        int Number(string key, int fallback) => Text(key) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
        var defaults = new CollectionSettings();
        return new CollectionSettings(
            Text("mode"),
            Text("fusion"),
            Text("dense_weight") is { } weight ? double.Parse(weight, CultureInfo.InvariantCulture) : null,
            Number("m", defaults.M),
            Number("ef_construction", defaults.EfConstruction),
            Number("ef_search", defaults.EfSearch),
            Text("quantize") == "true",
            Text("ingest_to"),
            Text("ranker"),
            Text("fusion_depth") is { } depth ? int.Parse(depth, CultureInfo.InvariantCulture) : null,
            Text("expansion"),
            Text("injection"),
            Text("pii"));
    }

    /// <summary>Every settings key with its text, null for a key to remove (a default the collection does not override).</summary>
    public static IEnumerable<(string Key, string? Value)> Entries(CollectionSettings settings) =>
    [
        (Prefix + "mode", settings.Mode),
        (Prefix + "fusion", settings.Fusion),
        (Prefix + "dense_weight", settings.DenseWeight?.ToString(CultureInfo.InvariantCulture)),
        (Prefix + "m", settings.M.ToString(CultureInfo.InvariantCulture)),
        (Prefix + "ef_construction", settings.EfConstruction.ToString(CultureInfo.InvariantCulture)),
        (Prefix + "ef_search", settings.EfSearch.ToString(CultureInfo.InvariantCulture)),
        (Prefix + "quantize", settings.Quantize ? "true" : "false"),
        (Prefix + "ingest_to", settings.IngestAlias),
        (Prefix + "ranker", settings.Ranker),
        (Prefix + "fusion_depth", settings.FusionDepth?.ToString(CultureInfo.InvariantCulture)),
        (Prefix + "expansion", settings.Expansion),
        (Prefix + "injection", settings.Injection),
        (Prefix + "pii", settings.Pii),
    ];

    /// <summary>Refuses settings no search could use, naming them as options (mode, fusion, dense weight, M, ...).</summary>
    public static void Validate(string collection, CollectionSettings settings)
    {
        var (option, problem) = settings switch
        {
            { Mode: not (null or "bm25" or "dense" or "hybrid") } => ("mode", $"must be bm25, dense or hybrid (got '{settings.Mode}')"),
            { Fusion: not (null or "rrf" or "weighted") } => ("fusion", $"must be rrf or weighted (got '{settings.Fusion}')"),
            { DenseWeight: < 0 or > 1 } => ("dense weight", $"must be between 0 and 1 (got {settings.DenseWeight})"),
            { FusionDepth: < 1 or > 10_000 } => ("fusion depth", $"must be between 1 and 10000 (got {settings.FusionDepth})"),
            { Expansion: not (null or "none" or "rm3") } => ("expansion", $"must be none or rm3 (got '{settings.Expansion}')"),
            _ => ((string?)null, ""),
        };
        if (option is not null)
        {
            throw new InvalidOptionException(option, $"{problem} for collection '{collection}'");
        }

        _ = settings.Guardrails; // names the policy that is none

        new VectorIndexOptions(1, settings.M, settings.EfConstruction, settings.EfSearch).Validate();
        if (settings.IngestAlias is { } alias)
        {
            VersionAliases.Validate(alias);
        }
    }

    /// <summary>True when the vector graph must be rebuilt for the new settings (its shape changed).</summary>
    public static bool ReshapesGraph(CollectionSettings before, CollectionSettings after) =>
        before.M != after.M || before.EfConstruction != after.EfConstruction || before.Quantize != after.Quantize;
}
