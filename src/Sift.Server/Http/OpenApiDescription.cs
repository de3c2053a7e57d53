using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Sift.Retrieval;
using Sift.Server.Jobs;

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
            // Liveness answers without credentials; bare readiness too, and says more to a read key (the empty
            // requirement makes the key optional); per-collection readiness needs a key.
            if (path is "/healthz")
            {
                continue;
            }

            foreach (var operation in item.Operations?.Values.AsEnumerable() ?? [])
            {
                operation.Security ??= [];
                operation.Security.Add(requirement);
                if (path is "/readyz")
                {
                    operation.Security.Add(new OpenApiSecurityRequirement());
                }
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
/// Schemas as clients should read them: only the fields a request must carry are required, and those are never null
/// (records' positional parameters would otherwise all read as required and nullable); numbers are numbers; modes,
/// ratings and job statuses are enums; filters say what their values are; problems carry their <c>code</c>.
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
        [typeof(ChatCompletionRequest)] = ["model", "messages"],
        [typeof(ChatMessageIn)] = ["role", "content"],
        [typeof(ChatChoice)] = ["index", "finish_reason"],
        [typeof(ChatMessageOut)] = [],
    };

    public static Task Describe(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (RequiredFields.TryGetValue(type, out var required))
        {
            schema.Required = new HashSet<string>(required, StringComparer.Ordinal);
            foreach (var name in required)
            {
                if (Property(schema, name) is { } field)
                {
                    field.Type &= ~JsonSchemaType.Null;
                }
            }
        }

        if (type == typeof(SearchRequest) || type == typeof(AskRequest) || type == typeof(CollectionDetails))
        {
            Enumerate(Property(schema, "mode"), RetrievalSettings.Modes);
        }

        if (type == typeof(SearchRequest) || type == typeof(AskRequest))
        {
            // Documented as arrays only: generators turn "a string or an array" into an unusable wrapper class.
            if (Property(schema, "filters") is { } filters)
            {
                filters.AdditionalProperties = StringArray();
                filters.Description = "Metadata key to the values a document may have, e.g. {\"team\": [\"a\", \"b\"]}; a single string is also accepted.";
            }
        }

        if (type == typeof(ChatMessageIn) && schema.Properties is { } message)
        {
            // Documented as text: generators make an unusable class of "a string or an array of parts" (OpenAI's parts are also accepted).
            message["content"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The message's text (OpenAI's array of content parts is also accepted; its text parts are read)." };
            Enumerate(Property(schema, "role"), ["system", "developer", "user", "assistant", "tool"]);
        }

        if (type == typeof(FeedbackRequest))
        {
            Enumerate(Property(schema, "rating"), ["up", "down"]);
        }

        if (type == typeof(IngestJob))
        {
            Enumerate(Property(schema, "status"), IngestJob.Statuses);
        }

        if (type == typeof(Microsoft.AspNetCore.Mvc.ProblemDetails))
        {
            // Every problem Sift answers has a stable code (clients branch on it); validation problems name each field's errors.
            schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
            schema.Properties["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Stable and machine-readable, e.g. not_found, validation_failed, rate_limited." };
            schema.Properties["errors"] = new OpenApiSchema { Type = JsonSchemaType.Object, AdditionalProperties = StringArray(), Description = "With validation_failed: each invalid field and what is wrong with it." };
            schema.Required = new HashSet<string>(["code"], StringComparer.Ordinal);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// The multipart/form-data body of an upload: files (under any field name, "files" by convention) and an optional
    /// comma-separated access list applied to each of them.
    /// </summary>
    public static OpenApiSchema UploadForm() => new()
    {
        Type = JsonSchemaType.Object,
        Required = new HashSet<string>(["files"], StringComparer.Ordinal),
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["files"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } },
            ["acl"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Comma-separated principals (e.g. group:finance) who may see the files." },
        },
    };

    /// <summary>A Server-Sent Events stream: text, read event by event.</summary>
    public static OpenApiSchema EventStream() => new() { Type = JsonSchemaType.String };

    private static OpenApiSchema? Property(OpenApiSchema schema, string name) =>
        schema.Properties?.TryGetValue(name, out var property) == true ? property as OpenApiSchema : null;

    private static void Enumerate(OpenApiSchema? property, IEnumerable<string> values) =>
        property?.Enum = [.. values.Select(v => (System.Text.Json.Nodes.JsonNode)v)];

    private static OpenApiSchema StringArray() => new() { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } };
}
