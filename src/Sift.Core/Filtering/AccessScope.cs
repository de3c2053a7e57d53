namespace Sift.Core.Filtering;

/// <summary>
/// Who is asking, as principals ("group:finance", "user:alice", "key:ab12"). A document whose metadata carries an
/// access list (<see cref="MetadataKey"/>: principals joined by commas) is visible only to callers holding one of
/// them; a document without one is visible to everyone who can read the collection.
/// </summary>
public sealed class AccessScope
{
    public const string MetadataKey = "acl";

    private readonly HashSet<string> _principals;

    public AccessScope(IEnumerable<string> principals)
    {
        _principals = new HashSet<string>(principals, StringComparer.Ordinal);
        // Computed once: every search reads it (visibility cache, response cache keys).
        Fingerprint = System.Text.Json.JsonSerializer.Serialize(_principals.Order(StringComparer.Ordinal).ToArray());
    }

    public IReadOnlySet<string> Principals => _principals;

    /// <summary>
    /// The principals sorted, as a JSON array, for cache keys: callers with equal scopes may share results, and no
    /// principal name (an identity provider's group may hold commas) makes two different sets look alike.
    /// </summary>
    public string Fingerprint { get; }

    public bool Allows(IReadOnlyDictionary<string, string> metadata) =>
        AllowsList(metadata.TryGetValue(MetadataKey, out var list) ? list : null);

    /// <summary>Whether an encoded access list (null or blank: none) lets this caller see its document.</summary>
    public bool AllowsList(string? list) =>
        string.IsNullOrWhiteSpace(list) || list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Any(_principals.Contains);

    /// <summary>The metadata value for an access list, validated: principals are non-empty and hold no commas.</summary>
    public static string Encode(IEnumerable<string> principals)
    {
        var list = principals.Select(p => p.Trim()).ToList();
        if (list.Count == 0)
        {
            // An empty list would make the document public: a caller who meant to restrict it must be told.
            throw new SiftException("the access list is empty: name at least one principal (e.g. group:finance), or give none for a document every reader may see");
        }

        var bad = list.FirstOrDefault(p => p.Length == 0 || p.Contains(',', StringComparison.Ordinal));
        return bad is null
            ? string.Join(',', list.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            : throw new SiftException($"access-list principal '{bad}' is empty or contains a comma");
    }
}
