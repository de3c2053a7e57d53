using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Sift.Tests.Support;

/// <summary>
/// An OpenID Connect provider on loopback, as far as a resource server sees one: the discovery document and the
/// signing keys (JWKS), RSA keys that can be rotated, and access tokens signed with them.
/// </summary>
public sealed class LoopbackIdentityProvider : LoopbackServer
{
    private RsaSecurityKey _key = NewKey();

    public string Issuer => Root.AbsoluteUri.TrimEnd('/');

    public int KeyFetches { get; private set; }

    /// <summary>Publishes a new signing key in place of the old one.</summary>
    public void RotateKey() => _key = NewKey();

    /// <summary>A signed access token.</summary>
    public string Issue(string subject, string audience, IEnumerable<string>? groups = null, string? scope = null, TimeSpan? lifetime = null, string? issuer = null, SecurityKey? signWith = null)
    {
        var claims = new Dictionary<string, object> { ["sub"] = subject, ["groups"] = (groups ?? []).ToArray() };
        if (scope is not null)
        {
            claims["scope"] = scope;
        }

        var expires = DateTime.UtcNow + (lifetime ?? TimeSpan.FromMinutes(10));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience,
            IssuedAt = expires.AddHours(-1),
            NotBefore = expires.AddHours(-1),
            Expires = expires,
            Claims = claims,
            SigningCredentials = new SigningCredentials(signWith ?? _key, SecurityAlgorithms.RsaSha256),
        });
    }

    public static RsaSecurityKey NewKey() => new(RSA.Create(2048)) { KeyId = Guid.NewGuid().ToString("N") };

    protected override async Task RespondAsync(HttpListenerContext context)
    {
        switch (context.Request.Url!.AbsolutePath)
        {
            case "/.well-known/openid-configuration":
                await WriteJsonAsync(context.Response, 200, JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["issuer"] = Issuer,
                    ["jwks_uri"] = $"{Issuer}/keys",
                    ["authorization_endpoint"] = $"{Issuer}/authorize",
                    ["token_endpoint"] = $"{Issuer}/token",
                    ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
                }));
                break;
            case "/keys":
                KeyFetches++;
                var parameters = _key.Rsa.ExportParameters(includePrivateParameters: false);
                await WriteJsonAsync(context.Response, 200, JsonSerializer.Serialize(new
                {
                    keys = new[]
                    {
                        new { kty = "RSA", use = "sig", alg = "RS256", kid = _key.KeyId, n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) },
                    },
                }));
                break;
            default:
                await WriteJsonAsync(context.Response, 404, "{}");
                break;
        }
    }
}
