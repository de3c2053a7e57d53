using Microsoft.AspNetCore.Http;
using Sift.Core.Filtering;

namespace Sift.Server.Auth;

/// <summary>
/// Who is calling, and what that allows: an API key; a key with the delegate scope acting for one of its
/// application's users (that user's principals, not the key's groups, decide access); a user whose identity
/// provider's token was verified; or the anonymous caller of a server started with --no-auth (every scope and
/// collection, but no principals, so it sees only documents without an access list).
/// </summary>
public sealed class Caller
{
    public const string PrincipalsHeader = "X-Sift-Principals";

    private const string ItemKey = "sift.caller";

    private readonly IReadOnlyCollection<string> _scopes;
    private readonly IReadOnlyCollection<string> _collections;

    private Caller(string id, string subject, IReadOnlyCollection<string> scopes, IReadOnlyCollection<string> collections, AccessScope access)
    {
        Id = id;
        Subject = subject;
        _scopes = scopes;
        _collections = collections;
        Access = access;
    }

    public static Caller Anonymous { get; } = new("anonymous", "anonymous", Scopes.All, ["*"], new AccessScope([]));

    /// <summary>What rate limits count against: the key id, or "user:NAME" for a verified token.</summary>
    public string Id { get; }

    /// <summary>Who owns what this caller creates (answers to rate, jobs to poll): the key, or the user it acts for.</summary>
    public string Subject { get; }

    /// <summary>Principals for document access lists.</summary>
    public AccessScope Access { get; }

    public bool IsAnonymous => ReferenceEquals(this, Anonymous);

    public bool Has(string scope) => _scopes.Contains(scope);

    public bool CanUse(string collection) => _collections.Contains("*") || _collections.Contains(collection);

    /// <summary>A key: its groups and "key:ID" are its principals.</summary>
    public static Caller For(ApiKey key) => new(key.Id, key.Id, key.Scopes, key.Collections, new AccessScope([.. key.Groups, $"key:{key.Id}"]));

    /// <summary>The same key acting for a user with these principals (checked by the caller: the key must delegate).</summary>
    public Caller ActingFor(IReadOnlyList<string> principals)
    {
        var access = new AccessScope(principals);
        return new Caller(Id, $"{Id}:{access.Fingerprint}", _scopes, _collections, access);
    }

    /// <summary>A user whose token was verified: "user:NAME" and "group:G" for each of the token's groups.</summary>
    public static Caller ForUser(string user, IEnumerable<string> groups, IReadOnlyCollection<string> scopes, IReadOnlyCollection<string> collections)
    {
        var id = $"user:{user}";
        return new Caller(id, id, scopes, collections, new AccessScope([id, .. groups.Select(g => $"group:{g}")]));
    }

    public static Caller? Of(HttpContext context) => context.Items.TryGetValue(ItemKey, out var caller) ? caller as Caller : null;

    public void AttachTo(HttpContext context) => context.Items[ItemKey] = this;

    /// <summary>Forgets the request's caller (a sign-in replaces the session's caller with the one it verifies).</summary>
    public static void Detach(HttpContext context) => context.Items.Remove(ItemKey);
}
