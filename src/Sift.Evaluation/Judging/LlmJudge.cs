using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Sift.Core;

namespace Sift.Evaluation.Judging;

/// <summary>What judging cost in one run; cached verdicts cost nothing.</summary>
public sealed record JudgeUsage(string Model, int Repeats, int Calls, int Cached, int Invalid, long TokensIn, long TokensOut, decimal EstimatedCost, IReadOnlyList<string> Rubrics, IReadOnlyList<string> Problems);

/// <summary>
/// An LLM judge over any <see cref="IChatClient"/>. Each request renders a fixed rubric, asks for JSON matching its
/// schema (as a structured-output request and in the prompt), validates the reply, asks once more with the
/// violations when it does not match, and otherwise records an invalid verdict rather than guessing one. Repeat r of
/// the same request is a separate, separately cached sample: with more than one repeat the provider's default
/// temperature applies, so disagreement between repeats measures the judge's noise.
/// </summary>
public sealed class LlmJudge(
    IChatClient client, string model, int repeats = 1, VerdictCache? cache = null, decimal? inputPricePerMillion = null, decimal? outputPricePerMillion = null)
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _rubrics = new(StringComparer.Ordinal);
    private readonly List<string> _problems = [];
    private int _calls;
    private int _cached;
    private int _invalid;
    private long _tokensIn;
    private long _tokensOut;

    public string Model { get; } = model;

    public int Repeats { get; } = repeats >= 1 ? repeats : throw new SiftException($"judge repeats must be at least 1 (got {repeats})");

    public JudgeUsage Usage
    {
        get
        {
            lock (_gate)
            {
                var cost = ((inputPricePerMillion ?? 0) * _tokensIn / 1_000_000m) + ((outputPricePerMillion ?? 0) * _tokensOut / 1_000_000m);
                return new JudgeUsage(Model, Repeats, _calls, _cached, _invalid, _tokensIn, _tokensOut, cost, [.. _rubrics.Order(StringComparer.Ordinal)], [.. _problems.Take(20)]);
            }
        }
    }

    /// <summary>Repeat <paramref name="repeat"/> of the rubric's verdict on these inputs, or null when the judge gave no valid one.</summary>
    public async Task<JsonElement?> JudgeAsync(JudgeRubric rubric, IReadOnlyDictionary<string, string> slots, int repeat, CancellationToken cancellationToken)
    {
        var user = rubric.RenderUser(slots);
        var key = Key(rubric, user, repeat);
        lock (_gate)
        {
            _rubrics.Add(rubric.Version);
        }

        if (cache?.Get(key) is { } stored)
        {
            Interlocked.Increment(ref _cached);
            return JsonDocument.Parse(stored).RootElement.Clone();
        }

        var verdict = await AskAsync(rubric, user, cancellationToken).ConfigureAwait(false);
        if (verdict is null)
        {
            return null;
        }

        cache?.Put(key, rubric.Version, Model, verdict);
        return JsonDocument.Parse(verdict).RootElement.Clone();
    }

    /// <summary>Records a verdict that was schema-valid but inconsistent with its inputs (e.g. one verdict short).</summary>
    public void Reject(JudgeRubric rubric, string problem)
    {
        Interlocked.Increment(ref _invalid);
        lock (_gate)
        {
            _problems.Add($"{rubric.Id}: {problem}");
        }
    }

    private async Task<string?> AskAsync(JudgeRubric rubric, string user, CancellationToken cancellationToken)
    {
        List<ChatMessage> messages = [new(ChatRole.System, rubric.System), new(ChatRole.User, user)];
        var options = new ChatOptions
        {
            ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse(rubric.SchemaText).RootElement, rubric.Id.Replace('-', '_')),
            Temperature = Repeats == 1 ? 0 : null,
            MaxOutputTokens = 2048,
        };
        IReadOnlyList<string> problems = [];
        for (var attempt = 0; attempt < 2; attempt++)
        {
            ChatResponse response;
            try
            {
                response = await client.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                throw new SiftException($"the judge ({Model}) failed: {ex.Message.Split('\n')[0]}", ex);
            }

            Interlocked.Increment(ref _calls);
            Interlocked.Add(ref _tokensIn, response.Usage?.InputTokenCount ?? 0);
            Interlocked.Add(ref _tokensOut, response.Usage?.OutputTokenCount ?? 0);
            var json = ExtractObject(response.Text);
            problems = json is null ? ["the reply holds no JSON object"] : rubric.Validate(json);
            if (problems.Count == 0)
            {
                return json;
            }

            messages.Add(new ChatMessage(ChatRole.Assistant, response.Text));
            messages.Add(new ChatMessage(ChatRole.User, $"That reply does not match the schema ({string.Join("; ", problems)}). Reply again with JSON only."));
        }

        Reject(rubric, string.Join("; ", problems));
        return null;
    }

    /// <summary>The outermost {...} of a reply, tolerating code fences and prose around it.</summary>
    private static string? ExtractObject(string text)
    {
        var start = text.IndexOf('{', StringComparison.Ordinal);
        var end = text.LastIndexOf('}');
        if (start < 0 || end <= start)
        {
            return null;
        }

        var candidate = text[start..(end + 1)];
        try
        {
            using var _ = JsonDocument.Parse(candidate);
            return candidate;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private string Key(JudgeRubric rubric, string user, int repeat) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Model}\n{rubric.Version}\n{rubric.System}\n{user}\n{repeat}")));
}
