using System.Globalization;
using Sift.Core;
using Sift.Index.Vectors;

namespace Sift.Index.Storage;

/// <summary>
/// A collection's own retrieval defaults (used when a command does not say otherwise) and its vector index settings.
/// </summary>
public sealed record CollectionSettings(
    string? Mode = null,
    string? Fusion = null,
    double? DenseWeight = null,
    int M = 16,
    int EfConstruction = 200,
    int EfSearch = 100,
    bool Quantize = false);

public sealed partial class Collection
{
    private const string SettingsPrefix = "setting.";

    public CollectionSettings Settings
    {
        get
        {
            // Read on every search: kept per generation (changing settings bumps it), so a search costs one
            // prepared statement here instead of a pass over the meta table.
            var generation = Generation;
            if (_settings is { } cached && cached.Generation == generation)
            {
                return cached.Settings;
            }

            var settings = ReadSettings();
            _settings = new SettingsAt(generation, settings);
            return settings;
        }
    }

    private sealed record SettingsAt(long Generation, CollectionSettings Settings);

    private SettingsAt? _settings;

    private CollectionSettings ReadSettings()
    {
        using var connection = Connect();
        var meta = ReadMeta(connection, null);
        string? Text(string key) => meta.GetValueOrDefault(SettingsPrefix + key);
        int Number(string key, int fallback) => Text(key) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
        var defaults = new CollectionSettings();
        return new CollectionSettings(
            Text("mode"),
            Text("fusion"),
            Text("dense_weight") is { } weight ? double.Parse(weight, CultureInfo.InvariantCulture) : null,
            Number("m", defaults.M),
            Number("ef_construction", defaults.EfConstruction),
            Number("ef_search", defaults.EfSearch),
            Text("quantize") == "true");
    }

    private VectorIndexOptions VectorSettings
    {
        get
        {
            var settings = Settings;
            return new VectorIndexOptions(1, settings.M, settings.EfConstruction, settings.EfSearch, Quantize: settings.Quantize);
        }
    }

    /// <summary>
    /// Stores new settings. A change to the graph's shape (M, efConstruction, quantisation) discards the vector
    /// index file, so the next search rebuilds it from the stored vectors with the new settings.
    /// </summary>
    public void Configure(CollectionSettings settings)
    {
        if (settings.Mode is not (null or "bm25" or "dense" or "hybrid") || settings.Fusion is not (null or "rrf" or "weighted")
            || settings.DenseWeight is < 0 or > 1)
        {
            throw new SiftException($"invalid settings for collection '{Name}': mode must be bm25|dense|hybrid, fusion rrf|weighted, dense weight 0..1");
        }

        new VectorIndexOptions(1, settings.M, settings.EfConstruction, settings.EfSearch).Validate();
        var before = Settings;
        using (var connection = Connect())
        using (var transaction = connection.BeginTransaction())
        {
            void Set(string key, string? value)
            {
                if (value is null)
                {
                    Execute(connection, $"DELETE FROM meta WHERE key = '{SettingsPrefix}{key}'", transaction);
                }
                else
                {
                    WriteMeta(connection, transaction, SettingsPrefix + key, value);
                }
            }

            Set("mode", settings.Mode);
            Set("fusion", settings.Fusion);
            Set("dense_weight", settings.DenseWeight?.ToString(CultureInfo.InvariantCulture));
            Set("m", settings.M.ToString(CultureInfo.InvariantCulture));
            Set("ef_construction", settings.EfConstruction.ToString(CultureInfo.InvariantCulture));
            Set("ef_search", settings.EfSearch.ToString(CultureInfo.InvariantCulture));
            Set("quantize", settings.Quantize ? "true" : "false");
            BumpGeneration(connection, transaction); // searches pick the new settings up like any other change
            transaction.Commit();
        }

        if (before.M != settings.M || before.EfConstruction != settings.EfConstruction || before.Quantize != settings.Quantize)
        {
            lock (_indexLock)
            {
                File.Delete(VectorIndexPath);
                _denseSnapshot = null;
            }
        }
    }

    /// <summary>Takes over another collection's settings from its meta rows (a repair keeps the damaged one's).</summary>
    internal void CopySettings(IReadOnlyDictionary<string, string> meta)
    {
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        foreach (var (key, value) in meta.Where(m => m.Key.StartsWith(SettingsPrefix, StringComparison.Ordinal)))
        {
            WriteMeta(connection, transaction, key, value);
        }

        transaction.Commit();
    }
}
