using Microsoft.AspNetCore.Http;

namespace Sift.Server.Http;

/// <summary>
/// Errors as RFC 7807 problem+json with a stable machine-readable <c>code</c> (clients branch on it, not on the text)
/// and the request id to quote in a bug report. Never a stack trace.
/// </summary>
public static class Problems
{
    public static IResult Unauthorized() =>
        Create(StatusCodes.Status401Unauthorized, "unauthorized", "Missing or invalid API key", "send the key as 'Authorization: Bearer sift_...'");

    public static IResult InvalidToken(string detail) =>
        Create(StatusCodes.Status401Unauthorized, "invalid_token", "The bearer token was not accepted", detail);

    public static IResult Forbidden(string scope) =>
        Create(StatusCodes.Status403Forbidden, "forbidden", "The key lacks a scope", $"this request needs the '{scope}' scope");

    /// <summary>The same answer for "does not exist" and "not yours", so a caller learns nothing about what exists.</summary>
    public static IResult NotFound(string what) => Create(StatusCodes.Status404NotFound, "not_found", "Not found", $"{what} was not found");

    public static IResult Invalid(IDictionary<string, string[]> errors) =>
        Create(StatusCodes.Status400BadRequest, "validation_failed", "The request is not valid", "see errors", errors);

    public static IResult Invalid(string field, string message) => Invalid(new Dictionary<string, string[]> { [field] = [message] });

    public static IResult BadRequest(string detail) => Create(StatusCodes.Status400BadRequest, "bad_request", "The request cannot be served", detail);

    public static IResult TooLarge(string detail) => Create(StatusCodes.Status413PayloadTooLarge, "payload_too_large", "The request is too large", detail);

    public static IResult UnsupportedMediaType(string detail) =>
        Create(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "Unsupported content", detail);

    public static IResult Unavailable(string detail) => Create(StatusCodes.Status503ServiceUnavailable, "unavailable", "Not available", detail);

    public static IResult Create(int status, string code, string title, string detail, IDictionary<string, string[]>? errors = null)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        if (errors is not null)
        {
            extensions["errors"] = errors;
        }

        return Results.Problem(detail, statusCode: status, title: title, type: $"https://sift.dev/problems/{code}", extensions: extensions);
    }
}

/// <summary>
/// A JSON body that did not bind, as a validation problem naming the field (its JSON path) and the shape it needs,
/// rather than .NET's message about the type it could not produce.
/// </summary>
public static class JsonProblems
{
    // Most specific first: the first match names the shape.
    private static readonly (string Path, string Shape)[] Shapes =
    [
        (".acl", "an array of principals, e.g. [\"group:finance\"]"),
        (".metadata", "an object of string keys to string values"),
        ("$.filters", "an object of metadata key to a string or an array of strings, e.g. {\"team\": [\"a\", \"b\"]}"),
        ("$.documents", "an array of objects {id, title?, text, metadata?, acl?}"),
        ("$.k", "a whole number"),
        ("$.budget", "a whole number of tokens"),
    ];

    public static IResult Describe(System.Text.Json.JsonException error)
    {
        var path = string.IsNullOrEmpty(error.Path) ? "$" : error.Path;
        var field = path == "$" ? "body" : path.TrimStart('$').TrimStart('.');
        var shape = Shapes.FirstOrDefault(s => s.Path.StartsWith('$') ? path.StartsWith(s.Path, StringComparison.Ordinal) : path.Contains(s.Path, StringComparison.Ordinal)).Shape;
        var position = error.LineNumber is { } line ? $" (line {line + 1}, byte {error.BytePositionInLine + 1})" : "";
        return Problems.Invalid(field, shape is null
            ? $"is not valid JSON or has the wrong type{position}"
            : $"must be {shape}{position}");
    }
}
