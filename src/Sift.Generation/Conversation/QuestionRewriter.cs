using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Sift.Generation.Conversation;

/// <summary>One message of a conversation: "system", "user" or "assistant", and its text.</summary>
public sealed record ChatTurn(string Role, string Content);

/// <summary>The question to retrieve for, and how it was made: "as asked", "with the previous question", or "rewritten by MODEL".</summary>
public sealed record RewrittenQuestion(string Question, string Method);

/// <summary>
/// Conversation-aware query rewriting: a follow-up ("and its side effects?") is made a standalone question before
/// retrieval. With a chat model, the model rewrites it from the conversation; without one (or when it fails), a
/// follow-up that refers back (a pronoun, a leading "and", "but", "also", "what about", or three words or fewer) is searched
/// together with the previous question.
/// </summary>
public sealed partial class QuestionRewriter(IChatClient? client = null, string? model = null)
{
    /// <summary>Earlier turns given to the model, newest last: enough for a follow-up, bounded for cost.</summary>
    private const int ContextTurns = 6;

    private const string Instructions =
        "Rewrite the user's last question as one standalone question that can be understood without the conversation, " +
        "resolving pronouns and references from the earlier turns. Keep its language and meaning; add nothing else. " +
        "Reply with the question only.";

    public async Task<RewrittenQuestion> RewriteAsync(IReadOnlyList<ChatTurn> turns, CancellationToken cancellationToken)
    {
        var users = turns.Where(t => t.Role == "user").Select(t => t.Content.Trim()).ToList();
        var question = users.Count > 0 ? users[^1] : throw new Core.SiftException("the conversation has no user message to answer");
        if (users.Count == 1)
        {
            return new RewrittenQuestion(question, "as asked");
        }

        if (client is not null)
        {
            try
            {
                var transcript = new StringBuilder();
                foreach (var turn in turns.Where(t => t.Role is "user" or "assistant").TakeLast(ContextTurns))
                {
                    transcript.Append(turn.Role).Append(": ").AppendLine(turn.Content.Trim());
                }

                var response = await client.GetResponseAsync(
                    [new(ChatRole.System, Instructions), new(ChatRole.User, transcript.ToString())],
                    new ChatOptions { Temperature = 0, MaxOutputTokens = 200 },
                    cancellationToken).ConfigureAwait(false);
                if (response.Text.Trim() is { Length: > 0 and <= 2000 } rewritten)
                {
                    return new RewrittenQuestion(rewritten, $"rewritten by {model ?? "the model"}");
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OutOfMemoryException)
            {
                // The model is an aid here: a failure leaves the rule below.
            }
        }

        return RefersBack().IsMatch(question) || question.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length <= 3
            ? new RewrittenQuestion($"{question} {users[^2]}", "with the previous question")
            : new RewrittenQuestion(question, "as asked");
    }

    [GeneratedRegex(@"\b(it|its|they|them|their|theirs|this|that|these|those|he|him|his|she|her|hers|there|the same|the former|the latter)\b|^\s*(and|but|also|so|then|what about|how about)\b", RegexOptions.IgnoreCase)]
    private static partial Regex RefersBack();
}
