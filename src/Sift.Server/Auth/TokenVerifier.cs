using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Sift.Core;
using Sift.Server.Http;

namespace Sift.Server.Auth;

/// <summary>
/// End users signing in through an OpenID Connect provider (Entra ID, Keycloak, Auth0, Okta...): their access tokens
/// are verified against the provider's published keys, and the token's user and groups become the principals that
/// document access lists are checked against.
/// </summary>
/// <param name="Authority">The provider's issuer URL; its discovery document is AUTHORITY/.well-known/openid-configuration.</param>
/// <param name="Audience">The audience tokens must be issued for (this service's client or API id).</param>
public sealed record OidcOptions(Uri Authority, string Audience)
{
    /// <summary>The token scope that lets a user upload and delete documents; every verified user may read.</summary>
    public const string IngestScope = "sift.ingest";

    /// <summary>The claim naming the user: principal "user:VALUE".</summary>
    public string UserClaim { get; init; } = "sub";

    /// <summary>The claim listing the user's groups: principals "group:VALUE".</summary>
    public string GroupsClaim { get; init; } = "groups";

    /// <summary>The shortest time between two fetches of the provider's keys prompted by unknown key ids.</summary>
    public TimeSpan KeyRefreshInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Collections token users may use; "*" for all (document access lists still apply).</summary>
    public IReadOnlyList<string> Collections { get; init; } = ["*"];

    public void Validate()
    {
        if (!Authority.IsAbsoluteUri || (Authority.Scheme != Uri.UriSchemeHttps && !(Authority.Scheme == Uri.UriSchemeHttp && Authority.IsLoopback)))
        {
            throw new InvalidOptionException("OIDC authority", $"'{Authority}' must be an https URL (plain http only on loopback)");
        }

        if (string.IsNullOrWhiteSpace(Audience))
        {
            throw new InvalidOptionException("OIDC audience", "is required with an OIDC authority: tokens issued for other services must not be accepted");
        }
    }
}

/// <summary>
/// Verifies bearer tokens: signature against the provider's keys (fetched from its discovery document, cached, and
/// fetched again when a token names a key not seen yet, which is how providers rotate keys), issuer, audience and
/// lifetime. A provider that cannot be reached is a 503, not a 401: the token may be fine.
/// </summary>
public sealed partial class TokenVerifier
{
    /// <summary>Keys are fetched again at least this often even when no token asks for a new one.</summary>
    private static readonly TimeSpan MaximumKeyAge = TimeSpan.FromHours(12);

    private readonly OidcOptions _options;
    private readonly string _discovery;
    private readonly HttpDocumentRetriever _retriever;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly SemaphoreSlim _fetching = new(1, 1);
    private readonly ILogger<TokenVerifier> _logger;
    private FetchedKeys? _keys; // replaced whole, so readers outside the lock never see half an update

    public TokenVerifier(OidcOptions options, ILogger<TokenVerifier> logger)
    {
        options.Validate();
        _options = options;
        _logger = logger;
        _discovery = options.Authority.AbsoluteUri.TrimEnd('/') + "/.well-known/openid-configuration";
        _retriever = new HttpDocumentRetriever(new HttpClient { Timeout = TimeSpan.FromSeconds(10) }) { RequireHttps = !options.Authority.IsLoopback };
    }

    /// <summary>API keys look like sift_ID_SECRET; a JSON Web Token has three dot-separated parts.</summary>
    public static bool LooksLikeToken(string secret) => secret.Count(c => c == '.') == 2 && !secret.StartsWith(ApiKeyStore.Prefix, StringComparison.Ordinal);

    /// <summary>The caller the token proves, or the problem to answer with.</summary>
    public async Task<(Caller? Caller, IResult? Problem)> VerifyAsync(string token, CancellationToken cancellationToken)
    {
        var result = await ValidateAsync(token, refresh: false, cancellationToken).ConfigureAwait(false);
        if (result?.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // The provider may have rotated its keys since they were fetched.
            result = await ValidateAsync(token, refresh: true, cancellationToken).ConfigureAwait(false);
        }

        if (result is null)
        {
            return (null, Problems.Unavailable($"the identity provider at {_options.Authority} cannot be reached to verify the token; try again shortly"));
        }

        if (!result.IsValid)
        {
            return (null, Problems.InvalidToken(Reason(result.Exception)));
        }

        var claims = ((JsonWebToken)result.SecurityToken).Claims.ToList();
        if (claims.FirstOrDefault(c => c.Type == _options.UserClaim)?.Value is not { Length: > 0 } user)
        {
            return (null, Problems.InvalidToken($"the token has no '{_options.UserClaim}' claim to name the user"));
        }

        var groups = claims.Where(c => c.Type == _options.GroupsClaim).Select(c => c.Value).Where(g => g.Length > 0);
        var scopes = TokenScopes(claims).Contains(OidcOptions.IngestScope) ? new[] { Scopes.Read, Scopes.Ingest } : [Scopes.Read];
        return (Caller.ForUser(user, groups, scopes, _options.Collections), null);
    }

    /// <summary>Null when the provider's keys are not known and cannot be fetched.</summary>
    private async Task<TokenValidationResult?> ValidateAsync(string token, bool refresh, CancellationToken cancellationToken)
    {
        if (await ConfigurationAsync(refresh, cancellationToken).ConfigureAwait(false) is not { } configuration)
        {
            return null;
        }

        return await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = configuration.Issuer,
            ValidAudience = _options.Audience,
            IssuerSigningKeys = configuration.SigningKeys,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromMinutes(1),
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// The provider's issuer and keys: fetched once, then again when asked (a token named an unknown key) but at most
    /// once per <see cref="OidcOptions.KeyRefreshInterval"/>, so tokens with made-up key ids cannot flood the
    /// provider. When a fetch fails, the keys already known stay in use.
    /// </summary>
    private async Task<OpenIdConnectConfiguration?> ConfigurationAsync(bool refresh, CancellationToken cancellationToken)
    {
        bool Fresh(FetchedKeys? keys) => keys is not null && DateTimeOffset.UtcNow - keys.At < (refresh ? _options.KeyRefreshInterval : MaximumKeyAge);
        if (_keys is { } current && Fresh(current))
        {
            return current.Configuration;
        }

        await _fetching.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!Fresh(_keys))
            {
                _keys = new FetchedKeys(await OpenIdConnectConfigurationRetriever.GetAsync(_discovery, _retriever, cancellationToken).ConfigureAwait(false), DateTimeOffset.UtcNow);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogProviderUnreachable(ex, _options.Authority);
        }
        finally
        {
            _fetching.Release();
        }

        return _keys?.Configuration;
    }

    private sealed record FetchedKeys(OpenIdConnectConfiguration Configuration, DateTimeOffset At);

    /// <summary>OAuth scopes: "scope" as one space-separated string, or "scp" (Entra ID) as a string or an array.</summary>
    private static HashSet<string> TokenScopes(IEnumerable<Claim> claims) =>
        [.. claims.Where(c => c.Type is "scope" or "scp").SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))];

    private static string Reason(Exception? error) => error switch
    {
        SecurityTokenExpiredException => "the token has expired",
        SecurityTokenNotYetValidException => "the token is not valid yet",
        SecurityTokenNoExpirationException => "the token has no expiry",
        SecurityTokenInvalidAudienceException => "the token was issued for another audience",
        SecurityTokenInvalidIssuerException => "the token was issued by an untrusted issuer",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the token's signature does not verify",
        SecurityTokenMalformedException => "the token is malformed",
        _ => "the token is invalid",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "identity provider {Authority} unreachable")]
    private partial void LogProviderUnreachable(Exception error, Uri authority);
}
