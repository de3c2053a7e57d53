using System.Text.Json;
using Sift.Evaluation.Judging;

namespace Sift.Tests.Support;

/// <summary>
/// Scripts a <see cref="LoopbackChatServer"/> as an LLM judge: each request is routed by its system message (which
/// rubric asked) to a reply function given the rendered user message and how many times that rubric was asked.
/// </summary>
public sealed class ScriptedJudge
{
    private readonly Dictionary<string, Func<string, int, string>> _replies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _asked = new(StringComparer.Ordinal);

    public ScriptedJudge(LoopbackChatServer server) => server.Respond = Route;

    public ScriptedJudge On(JudgeRubric rubric, Func<string, int, string> reply)
    {
        _replies[rubric.Id] = reply;
        return this;
    }

    public ScriptedJudge On(JudgeRubric rubric, string reply) => On(rubric, (_, _) => reply);

    public int Asked(JudgeRubric rubric)
    {
        lock (_asked)
        {
            return _asked.GetValueOrDefault(rubric.Id);
        }
    }

    private string? Route(JsonElement request)
    {
        // OpenAI puts the system prompt among the messages; Anthropic in a top-level "system" (a string or text blocks).
        var messages = request.GetProperty("messages").EnumerateArray().ToList();
        var system = request.TryGetProperty("system", out var top)
            ? Text(top)
            : Text(messages.First(m => m.GetProperty("role").GetString() == "system").GetProperty("content"));
        var user = Text(messages.First(m => m.GetProperty("role").GetString() == "user").GetProperty("content"));
        var rubric = Rubrics.List.FirstOrDefault(r => r.System == system);
        if (rubric is null || !_replies.TryGetValue(rubric.Id, out var reply))
        {
            return null;
        }

        int count;
        lock (_asked)
        {
            count = _asked[rubric.Id] = _asked.GetValueOrDefault(rubric.Id) + 1;
        }

        return reply(user, count);
    }

    private static string Text(JsonElement content) => content.ValueKind == JsonValueKind.String
        ? content.GetString()!
        : string.Concat(content.EnumerateArray().Where(b => b.TryGetProperty("text", out _)).Select(b => b.GetProperty("text").GetString()));
}
