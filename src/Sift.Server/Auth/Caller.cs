using Microsoft.AspNetCore.Http;
using Sift.Core.Filtering;

namespace Sift.Server.Auth;

/// <summary>
/// Who is calling: the verified API key, or the anonymous caller of a server started with --no-auth (every scope and
/// collection, but no groups, so it sees only documents without an access list). A key with the delegate scope may
/// act for one of its application's users: then that user's principals, not the key's groups, decide access.
/// </summary>
public sealed class Caller
{
    public const string PrincipalsHeader = "X-Sift-Principals";

    private readonly IReadOnlyList<string>? _delegated;

    private Caller(ApiKey? key, IReadOnlyList<string>? delegated = null)
    {
        Key = key;
        _delegated = delegated;
    }

    public ApiKey? Key { get; }

    public static Caller Anonymous { get; } = new(null);

    /// <summary>The key id: what rate limits count against.</summary>
    public string Id => Key?.Id ?? "anonymous";

    /// <summary>Who owns what this caller creates (answers to rate, jobs to poll): the key, and the user it acts for.</summary>
    public string Subject => _delegated is null ? Id : $"{Id}:{Access.Fingerprint}";

    /// <summary>Principals for document access lists: the delegated user's, else the key's groups and "key:ID".</summary>
    public AccessScope Access => new(_delegated ?? (Key is null ? [] : [.. Key.Groups, $"key:{Key.Id}"]));

    /// <summary>The same key acting for a user with these principals (checked by the caller: the key must delegate).</summary>
    public Caller ActingFor(IReadOnlyList<string> principals) => new(Key, principals);

    public bool Has(string scope) => Key?.Has(scope) ?? true;

    public bool CanUse(string collection) => Key?.CanUse(collection) ?? true;

    public static Caller For(ApiKey key) => new(key);

    private const string ItemKey = "sift.caller";

    public static Caller? Of(HttpContext context) => context.Items.TryGetValue(ItemKey, out var caller) ? caller as Caller : null;

    public void AttachTo(HttpContext context) => context.Items[ItemKey] = this;
}
