using System.Globalization;
using Sift.Core;
using Sift.Core.Storage;
using Sift.Index.Vectors;

namespace Sift.Index.Storage;

public sealed partial class Collection
{
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
        return SettingsMeta.Read(ReadMeta(connection, null));
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
        SettingsMeta.Validate(Name, settings);
        var before = Settings;
        using (var connection = Connect())
        using (var transaction = connection.BeginTransaction())
        {
            foreach (var (key, value) in SettingsMeta.Entries(settings))
            {
                if (value is null)
                {
                    using var delete = Command(connection, transaction, "DELETE FROM meta WHERE key = $k", "$k");
                    Run(delete, key);
                }
                else
                {
                    WriteMeta(connection, transaction, key, value);
                }
            }

            BumpGeneration(connection, transaction); // searches pick the new settings up like any other change
            transaction.Commit();
        }

        if (SettingsMeta.ReshapesGraph(before, settings))
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
        foreach (var (key, value) in meta.Where(m => m.Key.StartsWith(SettingsMeta.Prefix, StringComparison.Ordinal)))
        {
            WriteMeta(connection, transaction, key, value);
        }

        transaction.Commit();
    }
}
