using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sift.Core.Storage;
using Sift.Generation.Context;
using Sift.Retrieval;

namespace Sift.Server;

/// <summary>
/// Loads every collection's indexes (BM25, and the vector index when its default retrieval uses one) and the
/// analyzer and tokenizer as soon as the server starts, so the first user's request does not pay for them (about a
/// second on SciFact). Runs beside the first requests, which share the same loading: nothing is loaded twice. It
/// runs no query, so metrics and the query log stay the users'.
/// </summary>
public sealed partial class WarmUp(CollectionHost host, ILogger<WarmUp> logger) : BackgroundService
{
    private readonly TaskCompletionSource<IReadOnlyDictionary<string, string>> _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Each collection's state once warmed: "ready", or what is wrong with it.</summary>
    public Task<IReadOnlyDictionary<string, string>> Completed => _completed.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // let the host finish starting
        try
        {
            _ = CollectionHost.Analyzer.Analyze("warm up");
            _ = ContextAssembler.DefaultTokenizer.CountTokens("warm up");
            var states = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var name in host.Names)
            {
                stoppingToken.ThrowIfCancellationRequested();
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                states[name] = Warm(name);
                LogWarmed(name, states[name], System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            _completed.TrySetResult(states);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _completed.TrySetException(ex);
            if (ex is not OperationCanceledException)
            {
                LogFailed(ex);
            }
        }
    }

    /// <summary>"ready", or what is wrong: one broken collection does not keep the others cold.</summary>
    private string Warm(string name)
    {
        var state = host.Check(name);
        try
        {
            if (state == "ready" && host.Find(name) is { } collection)
            {
                // Every caller's search checks access against document metadata: a search restricted to no principals
                // loads the index and that metadata now, not on a request.
                collection.LexicalIndex(Bm25Parameters.Default).Search(Array.Empty<string>(), 1, Core.Filtering.MetadataFilter.For(new Core.Filtering.AccessScope([])));
                if (collection.Embedder is not null && RetrievalSettings.For(collection).NeedsVectors)
                {
                    collection.DenseIndex();
                }
            }

            return state;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return $"broken: {ex.Message.Split('\n')[0]}";
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "collection {Collection} warmed: {State} ({Milliseconds:0} ms)")]
    private partial void LogWarmed(string collection, string state, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "warm-up stopped")]
    private partial void LogFailed(Exception error);
}
