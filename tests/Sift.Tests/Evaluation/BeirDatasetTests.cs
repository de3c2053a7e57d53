using Sift.Core;
using Sift.Evaluation.Beir;
using Sift.Tests.Support;

namespace Sift.Tests.Evaluation;

public sealed class BeirDatasetTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void ReadsQrelsWithHeaderAndCrlfAndKeepsOnlyJudgedQueries()
    {
        _folder.File("d/corpus.jsonl", "{\"_id\":\"1\",\"title\":\"t\",\"text\":\"x\"}\n");
        _folder.File("d/queries.jsonl", "{\"_id\":\"q1\",\"text\":\"first\"}\n{\"_id\":\"q2\",\"text\":\"unjudged\"}\n");
        _folder.File("d/qrels/test.tsv", "query-id\tcorpus-id\tscore\r\nq1\t1\t2\r\nq1\t7\t0\r\n");

        var dataset = BeirDataset.Load(_folder.Combine("d"));

        Assert.Equal(["q1"], dataset.Queries.Keys);
        Assert.Equal(2, dataset.Qrels["q1"]["1"]);
        Assert.Equal(0, dataset.Qrels["q1"]["7"]);
    }

    [Fact]
    public void MissingQrelsNamesTheSplitAndWhatExists()
    {
        _folder.File("d/corpus.jsonl", "");
        _folder.File("d/queries.jsonl", "");
        _folder.File("d/qrels/train.tsv", "");
        var error = Assert.Throws<SiftException>(() => BeirDataset.Load(_folder.Combine("d"), "test"));
        Assert.Contains("split 'test'", error.Message, StringComparison.Ordinal);
        Assert.Contains("train", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFolderOrCorpusIsAUserError()
    {
        Assert.Contains("not found", Assert.Throws<SiftException>(() => BeirDataset.Load(_folder.Combine("none"))).Message, StringComparison.Ordinal);
        _folder.File("d/queries.jsonl", "");
        Assert.Contains("corpus.jsonl", Assert.Throws<SiftException>(() => BeirDataset.Load(_folder.Combine("d"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedQrelsLineIsReportedWithItsLineNumber()
    {
        _folder.File("d/corpus.jsonl", "");
        _folder.File("d/queries.jsonl", "{\"_id\":\"q1\",\"text\":\"first\"}\n");
        _folder.File("d/qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\t1\t1\nq1 broken\n");
        Assert.Contains("test.tsv:3", Assert.Throws<SiftException>(() => BeirDataset.Load(_folder.Combine("d"))).Message, StringComparison.Ordinal);
    }
}
