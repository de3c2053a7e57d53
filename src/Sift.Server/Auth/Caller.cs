using Microsoft.AspNetCore.Http;
using Sift.Core.Filtering;

namespace Sift.Server.Auth;

/// <summary>
/// Who is calling: the verified API key, or the anonymous caller of a server started with --no-auth (every scope and
/// collection, but no groups, so it sees only documents without an access list).
/// </summary>
public sealed class Caller
{
    private Caller(ApiKey? key) => Key = key;

    public ApiKey? Key { get; }

    public static Caller Anonymous { get; } = new(null);

    public string Id => Key?.Id ?? "anonymous";

    /// <summary>Principals for document access lists: the key's groups and "key:ID".</summary>
    public AccessScope Access => new(Key is null ? [] : [.. Key.Groups, $"key:{Key.Id}"]);

    public bool Has(string scope) => Key?.Has(scope) ?? true;

    public bool CanUse(string collection) => Key?.CanUse(collection) ?? true;

    public static Caller For(ApiKey key) => new(key);

    private const string ItemKey = "sift.caller";

    public static Caller? Of(HttpContext context) => context.Items.TryGetValue(ItemKey, out var caller) ? caller as Caller : null;

    public void AttachTo(HttpContext context) => context.Items[ItemKey] = this;
}
