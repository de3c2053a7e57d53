using System.Text.Json;
using System.Text.Json.Nodes;
using Sift.Tests.Support;

namespace Sift.Tests.Cli;

/// <summary><c>sift versions</c> and <c>sift monitor</c> through the real binary, as an operator would use them.</summary>
public sealed class VersionsCliTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private string Store => _folder.Combine("store");

    public void Dispose() => _folder.Dispose();

    private Task<ProcessResult> Sift(params string[] args) => SiftProcess.RunAsync(Store, args);

    private static JsonElement Json(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        return json.RootElement.Clone();
    }

    /// <summary>An answer without its timings (which differ run to run): what was said, cited and retrieved.</summary>
    private async Task<string> AnswerAsync(string collection, string question = "how do operators restart the ingest queue")
    {
        var node = JsonNode.Parse(Json(await Sift("ask", question, "-c", collection, "--json", "--no-log")).GetRawText())!.AsObject();
        foreach (var varying in new[] { "timingsMs", "id" })
        {
            node.Remove(varying);
        }

        return node.ToJsonString();
    }

    [Fact]
    public async Task RollbackRestoresByteIdenticalAnswersAndCandidatesWaitForAPromote()
    {
        _folder.File("docs/queue.md", "# Ingest queue\nOperators restart the ingest queue with the drain command, then wait for the workers to report idle.\n");
        _folder.File("docs/other.md", "# Backups\nBackups run nightly and are kept for thirty days.\n");
        Assert.Equal(1, Json(await Sift("ingest", _folder.Combine("docs"), "-c", "kb", "--json")).GetProperty("summary").GetProperty("version").GetInt64());
        var before = await AnswerAsync("kb");

        // Reading a version (prod here) is read-only, the store is not: answers are still logged and can be rated.
        var logged = Json(await Sift("ask", "how do operators restart the ingest queue", "-c", "kb", "--json"));
        Assert.Equal(0, (await Sift("feedback", logged.GetProperty("id").GetString()!, "--up")).ExitCode);

        _folder.File("docs/queue.md", "# Ingest queue\nThe ingest queue restarts by itself; operators no longer restart it by hand since the scheduler rewrite.\n");
        var candidate = Json(await Sift("ingest", _folder.Combine("docs"), "-c", "kb", "--to", "candidate", "--json")).GetProperty("summary").GetProperty("version").GetInt64();
        Assert.Equal(2, candidate);
        Assert.Equal(before, await AnswerAsync("kb")); // prod still reads version 1
        Assert.NotEqual(before, await AnswerAsync("kb@candidate"));

        var diff = Json(await Sift("versions", "diff", "prod", "candidate", "-c", "kb", "--json")).GetProperty("diff");
        Assert.Equal(["docs/queue.md"], diff.GetProperty("changed").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, diff.GetProperty("added").GetArrayLength());

        Assert.Equal(0, (await Sift("versions", "promote", "candidate", "-c", "kb")).ExitCode);
        var promoted = await AnswerAsync("kb");
        Assert.NotEqual(before, promoted);

        var rollback = Json(await Sift("versions", "rollback", "-c", "kb", "--json"));
        Assert.Equal(1, rollback.GetProperty("version").GetInt64());
        Assert.Equal(before, await AnswerAsync("kb"));

        // An ingest that changes nothing (a scheduled re-run) makes no version and moves no alias: the rollback stands.
        await Sift("ingest", _folder.Combine("docs"), "-c", "kb");
        Assert.Equal(before, await AnswerAsync("kb"));

        var listed = Json(await Sift("versions", "list", "-c", "kb", "--json"));
        Assert.Equal(1, listed.GetProperty("aliases").GetProperty("prod").GetInt64());
        Assert.Equal(2, listed.GetProperty("aliases").GetProperty("candidate").GetInt64());
        var second = listed.GetProperty("versions")[1];
        Assert.Equal((1L, "ingest"), (second.GetProperty("parent").GetInt64(), second.GetProperty("change").GetString()));
        Assert.StartsWith("grounded-answer@", second.GetProperty("prompts")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletesAndSettingsMakeVersionsAndBadReferencesSayWhatExists()
    {
        _folder.File("docs/a.txt", "alpha notes");
        _folder.File("docs/b.txt", "beta notes");
        await Sift("ingest", _folder.Combine("docs"), "-c", "kb");
        Assert.Equal(2, Json(await Sift("documents", "delete", "docs/b.txt", "-c", "kb", "--json")).GetProperty("version").GetInt64());
        Assert.Equal(0, (await Sift("collections", "configure", "kb", "--mode", "hybrid", "--ingest-to", "candidate")).ExitCode);
        var versions = Json(await Sift("versions", "list", "-c", "kb", "--json")).GetProperty("versions");
        Assert.Equal(["ingest", "delete", "settings"], versions.EnumerateArray().Select(v => v.GetProperty("change").GetString()));

        // With ingest-to candidate, changes (this settings change itself, then the next ingest) leave prod where it was.
        _folder.File("docs/c.txt", "gamma notes");
        await Sift("ingest", _folder.Combine("docs"), "-c", "kb");
        var aliases = Json(await Sift("versions", "list", "-c", "kb", "--json")).GetProperty("aliases");
        Assert.Equal((2L, 4L), (aliases.GetProperty("prod").GetInt64(), aliases.GetProperty("candidate").GetInt64()));

        // An alias that would read as a version number is refused before anything is written.
        async Task<int> Held() => Json(await Sift("collections", "info", "kb", "--json")).GetProperty("collection").GetProperty("documents").GetInt32();
        var held = await Held();
        _folder.File("docs/d.txt", "delta notes");
        var refused = await Sift("ingest", _folder.Combine("docs"), "-c", "kb", "--to", "v7");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("not a valid alias", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(held, await Held());
        File.Delete(_folder.Combine("docs/d.txt"));

        var unknown = await Sift("search", "notes", "-c", "kb@staging");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("no alias 'staging'; its aliases: candidate -> 4, prod -> 2", unknown.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", unknown.Stderr, StringComparison.Ordinal);
        Assert.Contains("no version 9", (await Sift("versions", "show", "9", "-c", "kb")).Stderr, StringComparison.Ordinal);

        // A gate on a dataset the collection does not hold would measure nothing and pass anything: refused.
        var unrelated = await Sift("versions", "promote", "candidate", "-c", "kb", "--gate", Paths.Dataset("scifact"));
        Assert.Equal(1, unrelated.ExitCode);
        Assert.Contains("the gate would measure nothing", unrelated.Stderr, StringComparison.Ordinal);
        Assert.Contains("needs a cutoff: a retrieval metric is written like ndcg@10", (await Sift("versions", "promote", "candidate", "-c", "kb", "--max-drop", "ndcg=0.01")).Stderr, StringComparison.Ordinal);
        Assert.Equal(2, Json(await Sift("versions", "list", "-c", "kb", "--json")).GetProperty("aliases").GetProperty("prod").GetInt64());
    }

    [Fact]
    public async Task TheAnswerGateRefusesAVersionWhoseAnswersGotWorse()
    {
        string[] cities = ["Lisbon", "Oslo", "Dublin", "Vienna", "Prague", "Warsaw", "Athens", "Madrid", "Berlin", "Rome", "Paris", "Bern"];
        var qa = new List<string>();
        for (var i = 0; i < cities.Length; i++)
        {
            _folder.File($"docs/city{i}.txt", $"The {cities[i]} tram depot closes at {i + 1} o'clock for maintenance of the overhead lines.");
            qa.Add(JsonSerializer.Serialize(new { id = $"q{i}", question = $"When does the {cities[i]} tram depot close?", reference_answer = $"The {cities[i]} tram depot closes at {i + 1} o'clock for maintenance of the overhead lines." }));
        }

        _folder.File("qa.jsonl", string.Join('\n', qa));
        await Sift("ingest", _folder.Combine("docs"), "-c", "trams");
        for (var i = 0; i < cities.Length; i++)
        {
            _folder.File($"docs/city{i}.txt", $"Depot {cities[i]}: see the timetable.");
        }

        await Sift("ingest", _folder.Combine("docs"), "-c", "trams", "--to", "candidate");
        var refused = await Sift("versions", "promote", "candidate", "-c", "trams", "--answers", _folder.Combine("qa.jsonl"), "--max-drop", "token_f1=0.05");
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("refused: token_f1 dropped by", refused.Stderr, StringComparison.Ordinal);
        var missing = await Sift("versions", "promote", "candidate", "-c", "trams", "--max-drop", "faithfulness=0.02");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("need --answers", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task APromoteThroughTheGateIsRefusedForAPlantedRegressionOnSciFactAndAcceptedForANeutralChange()
    {
        var scifact = Paths.Dataset("scifact");
        var lines = File.ReadAllLines(Path.Combine(scifact, "corpus.jsonl"));
        string Corpus(string name, Func<JsonObject, int, JsonObject> change)
        {
            var path = _folder.Combine($"{name}/corpus.jsonl");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllLines(path, lines.Select((line, i) => change(JsonNode.Parse(line)!.AsObject(), i).ToJsonString()));
            return path;
        }

        // The regression: a broken extraction that kept the first six words of every abstract.
        var broken = Corpus("broken", (d, _) => { d["text"] = string.Join(' ', d["text"]!.GetValue<string>().Split(' ').Take(6)); return d; });
        // The neutral change: 1% of abstracts gain a sentence about formatting.
        var neutral = Corpus("neutral", (d, i) => { d["text"] = d["text"]!.GetValue<string>() + (i % 100 == 0 ? " The abstract was reformatted." : ""); return d; });

        Assert.Equal(0, (await Sift("ingest", Path.Combine(scifact, "corpus.jsonl"), "-c", "sf", "--chunker", "document")).ExitCode);
        const string Question = "Does 0-dimensional biomaterial show inductive properties?";
        var original = await AnswerAsync("sf", Question); // version 1 as the working state
        Assert.Equal(0, (await Sift("ingest", broken, "-c", "sf", "--to", "candidate")).ExitCode);
        var refused = await Sift("versions", "promote", "candidate", "-c", "sf", "--gate", scifact, "--max-drop", "ndcg@10=0.01");
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("refused: ndcg@10 dropped by", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("worst queries:", refused.Stderr, StringComparison.Ordinal);
        var shown = Json(await Sift("versions", "show", "candidate", "-c", "sf", "--json"));
        var report = shown.GetProperty("reports")[0].GetProperty("report");
        Assert.False(report.GetProperty("passed").GetBoolean());
        var failure = report.GetProperty("failures")[0];
        Assert.True(failure.GetProperty("drop").GetDouble() > 0.1, failure.ToString());
        Assert.True(failure.GetProperty("pValue").GetDouble() < 0.05);
        Assert.Equal(5, failure.GetProperty("worstQueries").GetArrayLength());
        Assert.Equal(1, Json(await Sift("versions", "list", "-c", "sf", "--json")).GetProperty("aliases").GetProperty("prod").GetInt64());

        Assert.Equal(0, (await Sift("ingest", neutral, "-c", "sf", "--to", "candidate")).ExitCode);
        var accepted = await Sift("versions", "promote", "candidate", "-c", "sf", "--gate", scifact, "--json");
        Assert.Equal(0, accepted.ExitCode);
        Assert.True(Json(accepted).GetProperty("gates")[0].GetProperty("passed").GetBoolean());
        Assert.Equal(3, Json(await Sift("versions", "list", "-c", "sf", "--json")).GetProperty("aliases").GetProperty("prod").GetInt64());

        // Back on version 1 (no longer the working state: its index is built from its own rows), the answer is the one
        // version 1 gave while it was the working state, byte for byte.
        Assert.Equal(0, (await Sift("versions", "rollback", "-c", "sf")).ExitCode);
        Assert.Equal(original, await AnswerAsync("sf", Question));
        Assert.Equal(0, (await Sift("versions", "promote", "3", "-c", "sf")).ExitCode);

        // The drift monitor on the same collection: SciFact's own test queries against its training queries raise no
        // alert; NFCorpus's queries arriving at a SciFact collection do.
        var same = Json(await Sift("monitor", "report", "-c", "sf", "--reference", scifact, "--current", scifact, "--json"));
        Assert.False(same.GetProperty("alert").GetBoolean(), same.ToString());
        var shifted = await Sift("monitor", "report", "-c", "sf", "--reference", scifact, "--current", Paths.Dataset("nfcorpus"), "--out", _folder.Combine("drift.html"), "--fail-on-alert");
        Assert.Equal(3, shifted.ExitCode);
        Assert.Contains("drift alert", shifted.Stdout, StringComparison.Ordinal);
        var html = File.ReadAllText(_folder.Combine("drift.html"));
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
    }
}
