using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.OpenApi;

namespace Sift.Server.Http;

/// <summary>Declares the bearer credential in the OpenAPI document, so generated clients send it.</summary>
internal static class OpenApiSecurity
{
    private const string Scheme = "bearer";

    public static void Describe(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Scheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An API key (sift_ID_SECRET, from 'sift keys create') or, when the server trusts an OpenID Connect provider, a user's access token.",
        };
        var requirement = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Scheme, document)] = [] };
        foreach (var (path, item) in document.Paths)
        {
            // Health endpoints answer without credentials.
            if (path.StartsWith("/healthz", StringComparison.Ordinal) || path.StartsWith("/readyz", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var operation in item.Operations?.Values.AsEnumerable() ?? [])
            {
                operation.Security ??= [];
                operation.Security.Add(requirement);
            }
        }
    }
}

/// <summary>What the OpenAPI document says each endpoint may answer besides success.</summary>
internal static class OpenApiMetadata
{
    /// <summary>The problem+json answers every authenticated endpoint can give, plus its own.</summary>
    public static RouteHandlerBuilder ProducesProblems(this RouteHandlerBuilder endpoint, params int[] statuses)
    {
        foreach (var status in statuses.Concat([StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status429TooManyRequests]).Distinct())
        {
            endpoint.ProducesProblem(status);
        }

        return endpoint;
    }
}
