using Sift.Index.Lexical;

namespace Sift.Tests.Index;

public sealed class Bm25IndexTests
{
    // Three documents of lengths 3, 2 and 5 (average 10/3).
    private static readonly string[][] Corpus =
    [
        ["cat", "sat", "mat"],
        ["dog", "sat"],
        ["cat", "cat", "dog", "bird", "fish"],
    ];

    [Fact]
    public void ScoresMatchTheOkapiFormulaWithLuceneIdf()
    {
        var parameters = new Bm25Parameters(K1: 1.2f, B: 0.75f);
        var index = Bm25Index.Build(Corpus, parameters);
        var results = index.Search(["cat"], 10);

        // idf(cat) = ln(1 + (3 - 2 + 0.5) / (2 + 0.5)) = ln(1.6); avgdl = 10/3
        // doc 0: tf 1, dl 3: idf * 1 * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 3 / (10/3)))
        // doc 2: tf 2, dl 5: idf * 2 * 2.2 / (2 + 1.2 * (0.25 + 0.75 * 5 / (10/3)))
        var idf = Math.Log(1.6);
        double Expected(int tf, int length) => idf * tf * 2.2 / (tf + (1.2 * (0.25 + (0.75 * length / (10.0 / 3)))));

        Assert.Equal([2, 0], results.Select(r => r.Slot));
        Assert.Equal(Expected(2, 5), results[0].Score, 1e-5);
        Assert.Equal(Expected(1, 3), results[1].Score, 1e-5);
    }

    [Fact]
    public void ScoresAddUpOverQueryTermsAndRepeatedQueryTermsCountAgain()
    {
        var index = Bm25Index.Build(Corpus, Bm25Parameters.Default);
        var cat = index.Search(["cat"], 10).ToDictionary(r => r.Slot, r => r.Score);
        var sat = index.Search(["sat"], 10).ToDictionary(r => r.Slot, r => r.Score);
        var both = index.Search(["cat", "sat"], 10).ToDictionary(r => r.Slot, r => r.Score);
        var twice = index.Search(["cat", "cat"], 10).ToDictionary(r => r.Slot, r => r.Score);

        Assert.Equal(cat[0] + sat[0], both[0], 1e-5);
        Assert.Equal(2 * cat[2], twice[2], 1e-5);
    }

    [Fact]
    public void UnknownTermsAndEmptyQueriesFindNothing()
    {
        var index = Bm25Index.Build(Corpus, Bm25Parameters.Default);
        Assert.Empty(index.Search(["unicorn"], 10));
        Assert.Empty(index.Search(Array.Empty<string>(), 10));
    }

    [Fact]
    public void TopKKeepsTheBestAndBreaksTiesBySlot()
    {
        var corpus = Enumerable.Range(0, 50).Select(i => (string[])["common", $"unique{i}"]).ToArray();
        var index = Bm25Index.Build(corpus, Bm25Parameters.Default);
        var results = index.Search(["common"], 5);
        Assert.Equal([0, 1, 2, 3, 4], results.Select(r => r.Slot));
    }

    [Fact]
    public void FilterExcludesSlotsWhileScoringSoKStillFills()
    {
        var corpus = Enumerable.Range(0, 20).Select(i => (string[])["term"]).ToArray();
        var index = Bm25Index.Build(corpus, Bm25Parameters.Default);
        var results = index.Search(["term"], 5, slot => slot % 2 == 1);
        Assert.Equal([1, 3, 5, 7, 9], results.Select(r => r.Slot));
    }

    [Fact]
    public void AFilteredSearchEqualsFilteringTheFullRankingAndAsksOnlyAboutContenders()
    {
        var random = new Random(7);
        var vocabulary = Enumerable.Range(0, 30).Select(i => $"t{i}").ToArray();
        var corpus = Enumerable.Range(0, 2000).Select(_ => Enumerable.Range(0, random.Next(3, 40)).Select(_ => vocabulary[random.Next(vocabulary.Length)]).ToArray()).ToArray();
        var index = Bm25Index.Build(corpus, Bm25Parameters.Default);
        string[] query = ["t1", "t2", "t3"];
        bool Allowed(int slot) => slot % 3 != 0;

        var asked = 0;
        var filtered = index.Search(query, 10, slot => { asked++; return Allowed(slot); });
        var expected = index.Search(query, corpus.Length).Where(r => Allowed(r.Slot)).Take(10);

        Assert.Equal(expected, filtered);
        Assert.True(asked < corpus.Length / 4, $"the filter was asked about {asked} slots; only those that could enter the top 10 need asking");
    }

    [Fact]
    public void StatisticsOfVisiblePartitionsAreWorkedOutOverThemAlone()
    {
        // Partition 0 holds doc 0 ("cat sat mat", length 3); partition 1 holds docs 1 and 2. Seeing partition 0 only:
        // N = 1, df(cat) = 1, avgdl = 3, so idf = ln(1 + (1 - 1 + 0.5) / (1 + 0.5)) = ln(4/3) and the length norm is
        // k1 * (1 - b + b * 3 / 3) = k1. With k1 = 1.2: score = ln(4/3) * 1 * 2.2 / (1 + 1.2) = ln(4/3).
        var index = Bm25Index.Build(Corpus, new Bm25Parameters(K1: 1.2f, B: 0.75f), [0, 1, 1]);
        var results = index.Search(["cat"], 10, visiblePartitions: [true, false]);

        Assert.Equal([0], results.Select(r => r.Slot));
        Assert.Equal(Math.Log(4.0 / 3), results[0].Score, 1e-6);
    }

    [Fact]
    public void ScoresOverVisiblePartitionsAreIdenticalToAnIndexOfOnlyThoseEntries()
    {
        var random = new Random(11);
        var vocabulary = Enumerable.Range(0, 40).Select(i => $"t{i}").ToArray();
        var corpus = Enumerable.Range(0, 3000).Select(_ => Enumerable.Range(0, random.Next(2, 60)).Select(_ => vocabulary[random.Next(vocabulary.Length)]).ToArray()).ToArray();
        var partitions = corpus.Select(_ => random.Next(5)).ToArray();
        var index = Bm25Index.Build(corpus, Bm25Parameters.Default, partitions);
        bool[] visible = [true, false, true, false, false];
        var visibleSlots = Enumerable.Range(0, corpus.Length).Where(s => visible[partitions[s]]).ToArray();
        var alone = Bm25Index.Build(visibleSlots.Select(s => corpus[s]), Bm25Parameters.Default);

        for (var q = 0; q < 50; q++)
        {
            var query = Enumerable.Range(0, random.Next(1, 5)).Select(_ => vocabulary[random.Next(vocabulary.Length)]).ToArray();
            var restricted = index.Search(query, 20, visiblePartitions: visible);
            var expected = alone.Search(query, 20).Select(r => new ScoredSlot(visibleSlots[r.Slot], r.Score));
            Assert.Equal(expected, restricted);
        }

        // Every partition visible is the whole index, bit for bit.
        Assert.Equal(index.Search(["t1", "t2"], 20), index.Search(["t1", "t2"], 20, visiblePartitions: [true, true, true, true, true]));
    }

    [Fact]
    public void TermsOfAnyScriptAndLengthAreFoundAndOthersAreNot()
    {
        var long300 = new string('x', 300);
        string[][] corpus = [["café", "東京"], [long300, "a"], ["a", "b"]];
        var index = Bm25Index.Build(corpus, Bm25Parameters.Default);

        Assert.Equal([0], index.Search(["東京"], 10).Select(r => r.Slot));
        Assert.Equal([0], index.Search(["café"], 10).Select(r => r.Slot));
        Assert.Equal([1], index.Search([long300], 10).Select(r => r.Slot));
        Assert.Empty(index.Search(["cafe"], 10));
        Assert.Empty(index.Search([new string('x', 299)], 10));
        Assert.Equal([1, 2], index.Search(["a"], 10).Select(r => r.Slot).Order());
    }

    [Fact]
    public void AWeightedTermCountsItsWeightAndARepeatedTermCountsOnceARepeat()
    {
        var index = Bm25Index.Build(Corpus, Bm25Parameters.Default);
        var repeated = index.Search(["cat", "cat", "dog"], 10);
        var weighted = index.Search([new Sift.Core.Storage.WeightedTerm("cat", 2), new Sift.Core.Storage.WeightedTerm("dog", 1)], 10);
        Assert.Equal(repeated, weighted);

        // Half a term is half its contribution: slot 1 holds only dog, so its score halves exactly.
        var dog = index.Search(["dog"], 10).Single(r => r.Slot == 1).Score;
        var half = index.Search([new Sift.Core.Storage.WeightedTerm("dog", 0.5)], 10).Single(r => r.Slot == 1).Score;
        Assert.Equal(dog / 2, half, 1e-6);
    }
}
