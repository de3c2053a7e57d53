namespace Sift.Server.Jobs;

/// <summary>
/// Queued ingestion jobs, handed to workers fairly: tenants take turns (round robin), so one tenant's backlog or slow
/// file cannot hold back another's job, and two jobs never run on the same collection at once (they would race on
/// what each thinks is stored).
/// </summary>
public sealed class FairJobQueue
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<(string Job, string Collection)>> _byTenant = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _turns = new();
    private readonly HashSet<string> _busyCollections = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _changed = new(0);

    public void Add(string job, string tenant, string collection)
    {
        lock (_lock)
        {
            if (!_byTenant.TryGetValue(tenant, out var queue))
            {
                _byTenant[tenant] = queue = [];
                _turns.AddLast(tenant);
            }

            queue.Add((job, collection));
        }

        _changed.Release();
    }

    /// <summary>
    /// Waits for a job that can run now: the oldest job on a free collection of the next tenant in turn (a tenant's jobs
    /// on one collection keep their order; a busy collection does not hold back its jobs on others). Call
    /// <see cref="Finished"/> with the collection when the job ends.
    /// </summary>
    public async Task<(string Job, string Collection)> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_lock)
            {
                for (var turn = _turns.First; turn is not null; turn = turn.Next)
                {
                    var queue = _byTenant[turn.Value];
                    var next = queue.FindIndex(j => !_busyCollections.Contains(j.Collection));
                    if (next < 0)
                    {
                        continue;
                    }

                    var (job, collection) = queue[next];
                    queue.RemoveAt(next);
                    _busyCollections.Add(collection);
                    _turns.Remove(turn);
                    if (queue.Count > 0)
                    {
                        _turns.AddLast(turn.Value); // to the back of the line
                    }
                    else
                    {
                        _byTenant.Remove(turn.Value);
                    }

                    return (job, collection);
                }
            }

            await _changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Finished(string collection)
    {
        lock (_lock)
        {
            _busyCollections.Remove(collection);
        }

        _changed.Release();
    }
}
