using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Sift.Core;

namespace Sift.Server;

/// <summary>HTTPS for <c>sift serve</c>: the certificate from --tls-cert, or Kestrel's own configuration.</summary>
internal static class Tls
{
    /// <summary>
    /// The certificate to serve https:// addresses with, or null when none is given (then Kestrel's configuration,
    /// e.g. Kestrel__Certificates__Default__Path, must provide one, else the server refuses to start).
    /// </summary>
    public static X509Certificate2? Certificate(ServerOptions options, IReadOnlyList<string> urls, IConfiguration configuration)
    {
        if (options.TlsCertificate is not { } path)
        {
            var https = urls.FirstOrDefault(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
            return https is not null && configuration["Kestrel:Certificates:Default:Path"] is null
                ? throw new InvalidOptionException("TLS certificate", $"is needed for {https}: a PEM file with its key, or a .pfx (password in $SIFT_TLS_PASSWORD)")
                : null;
        }

        try
        {
            var certificate = Path.GetExtension(path).ToLowerInvariant() is ".pfx" or ".p12"
                ? X509CertificateLoader.LoadPkcs12FromFile(path, options.TlsPassword)
                : options.TlsPassword is { } password
                    ? X509Certificate2.CreateFromEncryptedPemFile(path, password, options.TlsKey)
                    : X509Certificate2.CreateFromPemFile(path, options.TlsKey);
            return certificate.HasPrivateKey
                ? certificate
                : throw new InvalidOptionException("TLS key", $"is missing: the certificate {path} has no private key");
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new SiftException($"cannot read the TLS certificate {path}{(options.TlsKey is null ? "" : $" / key {options.TlsKey}")}: {ex.Message}");
        }
    }
}
