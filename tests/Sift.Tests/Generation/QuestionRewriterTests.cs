using Sift.Generation.Conversation;

namespace Sift.Tests.Generation;

/// <summary>Follow-ups without a model: searched with the previous question when they refer back, else as asked.</summary>
public sealed class QuestionRewriterTests
{
    [Theory]
    [InlineData("And how often should I?", "with the previous question")]
    [InlineData("What about its side effects?", "with the previous question")]
    [InlineData("how often?", "with the previous question")]
    [InlineData("How do I rotate the API keys on a PostgreSQL store?", "as asked")]
    public async Task AFollowUpThatRefersBackIsSearchedWithThePreviousQuestion(string followUp, string method)
    {
        var rewritten = await new QuestionRewriter().RewriteAsync(
            [new ChatTurn("user", "How do I rotate the keys?"), new ChatTurn("assistant", "Run sift keys rotate [1]."), new ChatTurn("user", followUp)],
            TestContext.Current.CancellationToken);

        Assert.Equal(method, rewritten.Method);
        Assert.Equal(method == "as asked" ? followUp : $"{followUp} How do I rotate the keys?", rewritten.Question);
    }

    [Fact]
    public async Task AConversationWithoutAUserMessageIsRefused() =>
        await Assert.ThrowsAsync<Sift.Core.SiftException>(() => new QuestionRewriter().RewriteAsync([new ChatTurn("system", "Be brief.")], TestContext.Current.CancellationToken));
}
