using Sift.Core.Filtering;

namespace Sift.Index.Storage;

/// <summary>Turns a metadata filter into a per-slot predicate, deciding each document once.</summary>
internal static class MetadataSlots
{
    public static Func<int, bool>? Allowed(
        string[] documentIdBySlot, Func<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> readMetadata, MetadataFilter? filter)
    {
        if (filter is null || filter.IsEmpty)
        {
            return null;
        }

        var metadata = readMetadata();

        var byDocument = new Dictionary<string, bool>(StringComparer.Ordinal);
        return slot =>
        {
            var documentId = documentIdBySlot[slot];
            if (!byDocument.TryGetValue(documentId, out var allowed))
            {
                allowed = byDocument[documentId] = metadata.TryGetValue(documentId, out var values) && filter.Matches(values);
            }

            return allowed;
        };
    }
}
