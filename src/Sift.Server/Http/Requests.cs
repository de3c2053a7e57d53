using System.Text.Json;
using Sift.Core;
using Sift.Core.Filtering;
using Sift.Retrieval;

namespace Sift.Server.Http;

/// <summary>POST /v1/collections/{c}/search.</summary>
/// <param name="Filters">Metadata conditions: key to a value or a list of allowed values.</param>
public sealed record SearchRequest(string? Query, int? K, string? Mode, Dictionary<string, JsonElement>? Filters);

/// <summary>POST /v1/collections/{c}/ask.</summary>
/// <param name="MaxSteps">Let the model search again with refined queries, at most this many times (1-10; with an LLM), before it answers.</param>
public sealed record AskRequest(string? Question, int? K, int? Budget, string? Mode, Dictionary<string, JsonElement>? Filters, int? MaxSteps = null);

/// <summary>POST /v1/feedback.</summary>
public sealed record FeedbackRequest(string? AnswerId, string? Rating, string? Comment);

/// <summary>One document of a JSON upload.</summary>
public sealed record DocumentRecord(string? Id, string? Title, string? Text, Dictionary<string, string>? Metadata, string[]? Acl);

/// <summary>POST /v1/collections/{c}/documents with a JSON body.</summary>
public sealed record DocumentsUpload(DocumentRecord[]? Documents);

/// <summary>Field-level validation shared by the endpoints; every problem is reported, not just the first.</summary>
public static class Validation
{
    public static Dictionary<string, string[]> Check(string? text, string field, int? k, string? mode, ServerLimits limits)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text))
        {
            errors[field] = ["is required and must not be blank"];
        }
        else if (text.Length > limits.MaxQueryLength)
        {
            errors[field] = [$"is {text.Length} characters long; the limit is {limits.MaxQueryLength}"];
        }

        if (k is { } value && (value < 1 || value > limits.MaxK))
        {
            errors["k"] = [$"must be between 1 and {limits.MaxK} (got {value})"];
        }

        if (mode is not null && !RetrievalSettings.Modes.Contains(mode))
        {
            errors["mode"] = [$"must be one of {string.Join(", ", RetrievalSettings.Modes)} (got '{mode}')"];
        }

        return errors;
    }

    /// <summary>Most metadata keys, and values across them, one filter may name.</summary>
    public const int MaxFilterKeys = 32;

    public const int MaxFilterValues = 256;

    private static bool HasControlCharacter(string text) => text.Any(char.IsControl);

    /// <summary>Filters as a <see cref="MetadataFilter"/>; values must be strings or arrays of strings.</summary>
    public static MetadataFilter? Filter(Dictionary<string, JsonElement>? filters, Dictionary<string, string[]> errors)
    {
        if (filters is null || filters.Count == 0)
        {
            return null;
        }

        if (filters.Count > MaxFilterKeys || filters.Values.Sum(v => v.ValueKind == JsonValueKind.Array ? v.GetArrayLength() : 1) > MaxFilterValues)
        {
            // Each condition is work in every index (and a parameter of the SQL on PostgreSQL): bound what one request may ask.
            errors["filters"] = [$"at most {MaxFilterKeys} keys and {MaxFilterValues} values in all"];
            return null;
        }

        var conditions = new List<KeyValuePair<string, string>>();
        foreach (var (key, value) in filters)
        {
            if (HasControlCharacter(key) || (value.ValueKind == JsonValueKind.String && HasControlCharacter(value.GetString()!))
                || (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().Any(v => v.ValueKind == JsonValueKind.String && HasControlCharacter(v.GetString()!))))
            {
                // No stored metadata holds one (ingest takes printable text), and PostgreSQL refuses NUL in text.
                errors["filters"] = ["keys and values must not contain control characters"];
            }
            else if (key == AccessScope.MetadataKey)
            {
                errors[$"filters.{key}"] = ["access lists are applied from your key, not from filters"];
            }
            else if (value.ValueKind == JsonValueKind.String)
            {
                conditions.Add(new(key, value.GetString()!));
            }
            else if (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String))
            {
                conditions.AddRange(value.EnumerateArray().Select(v => KeyValuePair.Create(key, v.GetString()!)));
            }
            else
            {
                errors[$"filters.{key}"] = ["must be a string or an array of strings"];
            }
        }

        return new MetadataFilter(conditions);
    }

    /// <summary>What is wrong with a document id given in JSON, or null: ids are printable, trimmed, at most 512 characters.</summary>
    public static string? DocumentIdProblem(string id) =>
        id.Length > 512 ? $"is {id.Length} characters long; the limit is 512"
        : id.Any(char.IsControl) ? "contains control characters"
        : id.Trim() != id ? "starts or ends with whitespace"
        : id.StartsWith('/') ? "starts with '/'"
        : null;
}
