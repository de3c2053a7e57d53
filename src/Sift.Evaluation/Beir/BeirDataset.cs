using System.Globalization;
using System.Text.Json;
using Sift.Core;
using Sift.Core.Documents;

namespace Sift.Evaluation.Beir;

/// <summary>
/// A dataset in BEIR layout: <c>corpus.jsonl</c>, <c>queries.jsonl</c> and <c>qrels/SPLIT.tsv</c>. The queries
/// evaluated are those the split's qrels judge, as BEIR does.
/// </summary>
public sealed class BeirDataset
{
    private BeirDataset(string folder, string split, string? corpusPath, IReadOnlyDictionary<string, string> queries,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> qrels)
    {
        Folder = folder;
        Split = split;
        CorpusPath = corpusPath;
        Queries = queries;
        Qrels = qrels;
    }

    public string Folder { get; }

    public string Name => Path.GetFileName(Folder.TrimEnd(Path.DirectorySeparatorChar));

    public string Split { get; }

    /// <summary>The corpus file; null when only queries and judgments were loaded.</summary>
    public string? CorpusPath { get; }

    /// <summary>Query text by id, for the judged queries only, in qrels order.</summary>
    public IReadOnlyDictionary<string, string> Queries { get; }

    /// <summary>Judgments by query id, then document id.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Qrels { get; }

    /// <summary>Judged queries that come from somewhere other than files (answers rated in the query log, say).</summary>
    public static BeirDataset FromJudgments(
        string name, string split, IReadOnlyDictionary<string, string> queries, IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> qrels) =>
        new(name, split, null, queries, qrels);

    /// <summary>Loads a full dataset: corpus, queries and the split's judgments.</summary>
    public static BeirDataset Load(string folder, string split = "test") => Load(folder, split, requireCorpus: true);

    /// <summary>Loads queries and judgments only, to evaluate a collection that was indexed some other way.</summary>
    public static BeirDataset LoadJudgedQueries(string folder, string split = "test") => Load(folder, split, requireCorpus: false);

    private static BeirDataset Load(string folder, string split, bool requireCorpus)
    {
        // A split is a name under qrels/, never a path: "../qrels/test" would read test while the caller checked for "test".
        if (split.Length == 0 || split.IndexOfAny(['/', '\\']) >= 0 || split.Contains("..", StringComparison.Ordinal))
        {
            throw new InvalidOptionException("split", $"must be the name of a qrels file such as train, dev or test, not a path (got '{split}')");
        }

        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder))
        {
            throw new SiftException($"dataset folder not found: {folder}");
        }

        var corpus = requireCorpus ? Require(folder, "corpus.jsonl") : null;
        var queriesPath = Require(folder, "queries.jsonl");
        var qrelsPath = Path.Combine(folder, "qrels", split + ".tsv");
        if (!File.Exists(qrelsPath))
        {
            var splits = Directory.Exists(Path.Combine(folder, "qrels"))
                ? Directory.EnumerateFiles(Path.Combine(folder, "qrels"), "*.tsv").Select(Path.GetFileNameWithoutExtension).Order().ToList()
                : [];
            var found = splits.Count == 0 ? "the folder has no qrels/ judgments" : $"splits found: {string.Join(", ", splits)}";
            throw new SiftException($"dataset {folder} has no qrels for split '{split}' (expected {qrelsPath}; {found})");
        }

        var qrels = ReadQrels(qrelsPath);
        var allQueries = ReadQueries(queriesPath);
        var missing = qrels.Keys.Where(q => !allQueries.ContainsKey(q)).ToList();
        if (missing.Count > 0)
        {
            throw new SiftException($"{qrelsPath}: {missing.Count} judged queries are not in queries.jsonl (first: '{missing[0]}')");
        }

        var queries = qrels.Keys.ToDictionary(q => q, q => allQueries[q], StringComparer.Ordinal);
        return new BeirDataset(folder, split, corpus, queries, qrels);
    }

    private static string Require(string folder, string file)
    {
        var path = Path.Combine(folder, file);
        return File.Exists(path) ? path : throw new SiftException($"dataset {folder} has no {file}");
    }

    private static Dictionary<string, IReadOnlyDictionary<string, int>> ReadQrels(string path)
    {
        var qrels = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var rawLine in File.ReadLines(path))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split('\t');
            if (fields.Length < 3 || !int.TryParse(fields[^1], CultureInfo.InvariantCulture, out var grade))
            {
                if (lineNumber == 1)
                {
                    continue; // the BEIR header line: query-id, corpus-id, score
                }

                throw new SiftException($"{path}:{lineNumber}: expected 'query-id<TAB>corpus-id<TAB>score'");
            }

            var (query, document) = fields.Length == 4 ? (fields[0], fields[2]) : (fields[0], fields[1]);
            if (!qrels.TryGetValue(query, out var judgments))
            {
                qrels[query] = judgments = new Dictionary<string, int>(StringComparer.Ordinal);
            }

            judgments[document] = grade;
        }

        return qrels.ToDictionary(q => q.Key, q => (IReadOnlyDictionary<string, int>)q.Value, StringComparer.Ordinal);
    }

    private static Dictionary<string, string> ReadQueries(string path)
    {
        var queries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in JsonLines.Read(path))
        {
            if (line.Error is not null || JsonLines.Id(line.Value, "_id") is not { } id
                || !line.Value.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
            {
                throw new SiftException($"{path}:{line.Number}: expected a JSON object with \"_id\" and \"text\"");
            }

            queries[id] = text.GetString()!;
        }

        return queries;
    }
}
