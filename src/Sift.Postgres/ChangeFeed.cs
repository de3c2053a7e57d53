using System.Collections.Concurrent;
using Npgsql;

namespace Sift.Postgres;

/// <summary>
/// Each collection's generation as this process last heard it, kept current by LISTEN on the channel every write
/// notifies at commit (<c>sift_changes</c>, payload "key:generation", the collection's key being never reused). While the listening connection is up, a
/// search learns whether its collection changed without a round trip, and a change made through another server is
/// seen here as soon as its notification arrives (milliseconds on a LAN). When the connection is down, every lookup
/// misses and callers read the generation from the database, as if there were no feed, until it reconnects.
/// </summary>
internal sealed class ChangeFeed : IDisposable
{
    public const string Channel = "sift_changes";

    private readonly NpgsqlDataSource _data;
    private readonly ConcurrentDictionary<long, long> _generations = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _listening;
    /// <summary>How often a quiet listening connection is checked; a remembered generation counts as current for twice that.</summary>
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(5);

    private volatile bool _live;
    private long _confirmedAt;
    private long _listeningSince = long.MaxValue;

    public ChangeFeed(NpgsqlDataSource data)
    {
        _data = data;
        _listening = Task.Run(ListenAsync);
    }

    /// <summary>
    /// True while notifications are being received, the connection confirmed within two heartbeats: only then is a
    /// remembered generation current. A connection that died silently (a network partition without a reset) stops
    /// counting as live within 10 s, and callers read the database from then on.
    /// </summary>
    public bool IsLive => _live && Environment.TickCount64 - Interlocked.Read(ref _confirmedAt) < 2 * Heartbeat.TotalMilliseconds;

    /// <summary>The collection's generation when the feed is live and has heard of it; false means "ask the database".</summary>
    public bool TryGet(long collection, out long generation)
    {
        generation = 0;
        return IsLive && _generations.TryGetValue(collection, out generation);
    }

    /// <summary>A moment to pass to <see cref="Observe"/> for a read that starts now.</summary>
    public static long Now => Environment.TickCount64;

    /// <summary>
    /// Records a generation read from the database at <paramref name="readAt"/> (never moves one backwards). A read
    /// that began before the current LISTEN was in place may predate a change whose notification was never heard, so
    /// it is not remembered: the next lookup reads the database again.
    /// </summary>
    public void Observe(long collection, long generation, long readAt)
    {
        if (readAt >= Interlocked.Read(ref _listeningSince))
        {
            Heard(collection, generation);
        }
    }

    /// <summary>A collection was deleted: its remembered generation is marked so its handles look it up again.</summary>
    public const long Deleted = -1;

    private void Heard(long collection, long generation) =>
        _generations.AddOrUpdate(collection, generation, (_, known) => generation == Deleted ? Deleted : Math.Max(known, generation));

    public void Dispose()
    {
        _stopping.Cancel();
        try
        {
            _listening.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Stopping: the listener's own failure no longer matters.
        }

        _stopping.Dispose();
    }

    private async Task ListenAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _data.OpenConnectionAsync(_stopping.Token).ConfigureAwait(false);
                connection.Notification += (_, e) => Heard(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(_stopping.Token).ConfigureAwait(false);
                }

                // What was remembered before listening may have missed changes: forget it, so each collection's next
                // lookup reads the database once and is current from then on.
                Interlocked.Exchange(ref _listeningSince, Environment.TickCount64);
                _generations.Clear();
                Interlocked.Exchange(ref _confirmedAt, Environment.TickCount64);
                _live = true;
                while (!_stopping.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(Heartbeat, _stopping.Token).ConfigureAwait(false))
                    {
                        // Quiet for a heartbeat: prove the connection still answers (and so would deliver notifications).
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteScalarAsync(_stopping.Token).ConfigureAwait(false);
                    }

                    Interlocked.Exchange(ref _confirmedAt, Environment.TickCount64);
                }
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
            {
                // The database went away: fall back to reading generations until the listener is back.
                _live = false;
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _live = false;
                Interlocked.Exchange(ref _listeningSince, long.MaxValue);
            }
        }
    }

    private void Heard(string payload)
    {
        var colon = payload.LastIndexOf(':');
        if (colon > 0
            && long.TryParse(payload.AsSpan(0, colon), System.Globalization.CultureInfo.InvariantCulture, out var collection)
            && long.TryParse(payload.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture, out var generation))
        {
            Heard(collection, generation);
        }
    }
}
