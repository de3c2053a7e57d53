using System.CommandLine;
using Sift.Composition;
using Sift.Generation.Logging;
using Sift.Index.Storage;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary><c>sift feedback ANSWER_ID --up|--down [--comment TEXT]</c>: rate a logged answer (sift eval mine reads it).</summary>
internal static class FeedbackCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("answer-id") { Description = "The id sift ask printed with the answer" };
        var up = new Option<bool>("--up") { Description = "The answer helped" };
        var down = new Option<bool>("--down") { Description = "The answer was wrong or unhelpful" };
        var comment = new Option<string?>("--comment") { Description = "What was wrong, or what the answer should have said" };
        var command = new Command("feedback", "Rate an answer from sift ask") { id, up, down, comment };
        command.SetAction(result =>
        {
            if (result.GetValue(up) == result.GetValue(down))
            {
                throw new Core.SiftException("say --up or --down (one of them)");
            }

            using var log = SiftStores.OpenQueryLog(Core.Storage.StoreLocation.Resolve(result.GetValue(CommonOptions.Store)), CommonOptions.HomeFolder(result));
            log.AddFeedback(result.GetValue(id)!, result.GetValue(up) ? 1 : -1, result.GetValue(comment));
            AnsiConsole.MarkupLine("feedback recorded");
            return 0;
        });
        return command;
    }
}
