using Sift.Core.Documents;

namespace Sift.Core.Stages;

/// <summary>
/// Turns one file into documents. Most formats give one document per file (returned, not yielded: an iterator would
/// hold the file's bytes while the caller chunks and writes the document); JSONL yields one per line.
/// </summary>
public interface IDocumentLoader
{
    /// <summary>File extensions this loader reads, lowercase with the dot (".md").</summary>
    IReadOnlyList<string> Extensions { get; }

    /// <param name="path">The file to read.</param>
    /// <param name="documentId">Id for a single-document file (its path relative to the ingest root).</param>
    /// <param name="problems">Where recoverable per-record problems go when the caller chose to skip bad records.</param>
    IEnumerable<SourceDocument> Load(string path, string documentId, LoadProblems problems);

    /// <summary>
    /// The loader to use for one ingest run over <paramref name="files"/> (those of this loader's types): a format that
    /// reads better knowing its neighbours returns a loader that knows them (HTML learns the blocks a site repeats on
    /// every page). By default, itself.
    /// </summary>
    IDocumentLoader ForRun(IReadOnlyList<string> files) => this;
}

/// <summary>Collects per-record problems (a bad JSONL line) when bad records are skipped rather than fatal.</summary>
public sealed class LoadProblems(bool skipBadRecords)
{
    private readonly List<string> _messages = [];
    private readonly List<string> _notices = [];

    public bool SkipBadRecords { get; } = skipBadRecords;

    public IReadOnlyList<string> Messages => _messages;

    /// <summary>Things the user should know that are not failures (a legacy encoding assumed, a binary file skipped).</summary>
    public IReadOnlyList<string> Notices => _notices;

    public void Notice(string message) => _notices.Add(message);

    /// <summary>Records the problem when skipping, otherwise throws it as a <see cref="SiftException"/>.</summary>
    public void Report(string message)
    {
        if (!SkipBadRecords)
        {
            throw new SiftException(message);
        }

        _messages.Add(message);
    }
}
