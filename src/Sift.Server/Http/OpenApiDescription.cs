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
            // Liveness and bare readiness answer without credentials (per-collection readiness needs a key).
            if (path is "/healthz" or "/readyz")
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

/// <summary>
/// Request schemas as clients should read them: only the fields a request must carry are required (records'
/// positional parameters would otherwise all read as required), numbers are numbers, and modes are an enum.
/// </summary>
internal static class OpenApiSchemas
{
    private static readonly Dictionary<Type, string[]> RequiredFields = new()
    {
        [typeof(SearchRequest)] = ["query"],
        [typeof(AskRequest)] = ["question"],
        [typeof(FeedbackRequest)] = ["answerId", "rating"],
        [typeof(DocumentsUpload)] = ["documents"],
        [typeof(DocumentRecord)] = ["id", "text"],
    };

    public static Task Describe(OpenApiSchema schema, Microsoft.AspNetCore.OpenApi.OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (!RequiredFields.TryGetValue(type, out var required))
        {
            return Task.CompletedTask;
        }

        schema.Required = new HashSet<string>(required, StringComparer.Ordinal);
        if (schema.Properties?.TryGetValue("mode", out var mode) == true && mode is OpenApiSchema modeSchema)
        {
            modeSchema.Enum = [.. Retrieval.RetrievalSettings.Modes.Select(m => (System.Text.Json.Nodes.JsonNode)m)];
        }

        if (schema.Properties?.TryGetValue("rating", out var rating) == true && rating is OpenApiSchema ratingSchema)
        {
            ratingSchema.Enum = ["up", "down"];
        }

        return Task.CompletedTask;
    }
}
