namespace Sift.Core.Filtering;

/// <summary>
/// Conditions on document metadata: every key must match (AND), and a key matches when the document's value is one of
/// the allowed values (set membership; one value is plain equality). With an <see cref="AccessScope"/>, documents the
/// caller may not see never match, whatever else the filter says.
/// </summary>
public sealed class MetadataFilter
{
    private readonly Dictionary<string, HashSet<string>> _allowed;

    public MetadataFilter(IEnumerable<KeyValuePair<string, string>> conditions)
    {
        _allowed = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (key, value) in conditions)
        {
            if (key.Contains('\0', StringComparison.Ordinal) || value.Contains('\0', StringComparison.Ordinal))
            {
                // No store holds a NUL in metadata (PostgreSQL cannot): a condition naming one is malformed input.
                throw new SiftException($"filter '{key.Replace("\0", "\\0", StringComparison.Ordinal)}' contains a NUL character");
            }

            if (!_allowed.TryGetValue(key, out var values))
            {
                _allowed[key] = values = new HashSet<string>(StringComparer.Ordinal);
            }

            values.Add(value);
        }
    }

    public IReadOnlyDictionary<string, HashSet<string>> Conditions => _allowed;

    public AccessScope? Access { get; private init; }

    /// <summary>True when the filter lets every document through.</summary>
    public bool IsEmpty => _allowed.Count == 0 && Access is null;

    /// <summary>A filter with the same conditions that also hides what <paramref name="access"/> may not see.</summary>
    public MetadataFilter Restrict(AccessScope access) =>
        new(_allowed.SelectMany(c => c.Value.Select(v => KeyValuePair.Create(c.Key, v)))) { Access = access };

    /// <summary>Only the access restriction (a null filter plus a caller).</summary>
    public static MetadataFilter For(AccessScope access) => new([]) { Access = access };

    public bool Matches(IReadOnlyDictionary<string, string> metadata)
    {
        if (Access is not null && !Access.Allows(metadata))
        {
            return false;
        }

        foreach (var (key, values) in _allowed)
        {
            if (!metadata.TryGetValue(key, out var actual) || !values.Contains(actual))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Parses "key=value" conditions; a key given twice means either value.</summary>
    public static MetadataFilter Parse(IEnumerable<string> expressions)
    {
        var conditions = new List<KeyValuePair<string, string>>();
        foreach (var expression in expressions)
        {
            var equals = expression.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new SiftException($"filter '{expression}' is not of the form key=value");
            }

            conditions.Add(new(expression[..equals].Trim(), expression[(equals + 1)..].Trim()));
        }

        return new MetadataFilter(conditions);
    }
}
