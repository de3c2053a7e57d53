using System.Text.Json;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Sift.Server.Agents;

/// <summary>
/// Checks a tool call's arguments against the tool's own input schema before it runs, and says what is wrong: a
/// required argument missing, or one of the wrong JSON type. (The SDK would answer only "An error occurred invoking
/// the tool", from which a model cannot correct its call.)
/// </summary>
public static class ToolArguments
{
    public static McpRequestFilter<CallToolRequestParams, CallToolResult> Filter { get; } = next => async (context, cancellationToken) =>
        context.MatchedPrimitive is McpServerTool tool && context.Params is { } call && Problem(tool.ProtocolTool.InputSchema, call.Arguments) is { } problem
            ? new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = $"{call.Name}: {problem}" }] }
            : await next(context, cancellationToken);

    /// <summary>What is wrong with <paramref name="arguments"/> for <paramref name="schema"/>, or null.</summary>
    public static string? Problem(JsonElement schema, IDictionary<string, JsonElement>? arguments)
    {
        arguments ??= new Dictionary<string, JsonElement>();
        var properties = schema.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()).OfType<string>())
            {
                if (!arguments.TryGetValue(name, out var given) || given.ValueKind == JsonValueKind.Null)
                {
                    return $"the argument '{name}' is required{Described(properties, name)}";
                }
            }
        }

        foreach (var (name, value) in arguments)
        {
            if (properties.ValueKind != JsonValueKind.Object || !properties.TryGetProperty(name, out var property))
            {
                return $"there is no argument '{name}' (the arguments are {string.Join(", ", properties.ValueKind == JsonValueKind.Object ? properties.EnumerateObject().Select(x => x.Name) : [])})";
            }

            if (Types(property) is { Count: > 0 } types && !types.Any(type => Fits(type, value)))
            {
                return $"the argument '{name}' must be {string.Join(" or ", types.Where(t => t != "null"))}, not {Describe(value)}";
            }
        }

        return null;
    }

    private static List<string> Types(JsonElement property) =>
        !property.TryGetProperty("type", out var type) ? []
        : type.ValueKind == JsonValueKind.String ? [type.GetString()!]
        : type.ValueKind == JsonValueKind.Array ? [.. type.EnumerateArray().Select(t => t.GetString()).OfType<string>()]
        : [];

    private static bool Fits(string type, JsonElement value) => type switch
    {
        "string" => value.ValueKind == JsonValueKind.String,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _),
        "number" => value.ValueKind == JsonValueKind.Number,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => true,
    };

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.TryGetInt64(out _) ? $"{value.GetRawText()} (too large)" : $"the number {value.GetRawText()}",
        JsonValueKind.String => "a string",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };

    private static string Described(JsonElement properties, string name) =>
        properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(name, out var property) && property.TryGetProperty("description", out var description)
            ? $": {description.GetString()}"
            : "";
}
