using System.Collections.Concurrent;
using System.Net;

namespace Sift.Server.Auth;

/// <summary>
/// Limits failed authentication per client address: each address may fail <c>burst</c> times, refilled at
/// <c>burst</c> per minute; an address that fails with nothing left is refused for a backoff that doubles with each
/// further failure (1 s, 2 s, 4 s ... 5 min) and resets once it has behaved for a full refill. Only the failing address
/// waits, so one client guessing keys cannot lock out any other. While refused, its credentials are not even checked.
/// An IPv6 client counts by its /64 prefix (one host is usually given a whole /64, and could otherwise rotate).
/// </summary>
public sealed class FailedAuthThrottle(int burst, TimeProvider clock)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);
    private const int MaxTrackedAddresses = 100_000;

    private readonly ConcurrentDictionary<IPAddress, Client> _clients = new();
    private long _lastSweep;

    /// <summary>When the address must wait, how long; null when it may try.</summary>
    public TimeSpan? RetryAfter(IPAddress? address)
    {
        if (address is null || !_clients.TryGetValue(Bucket(address), out var client))
        {
            return null;
        }

        lock (client)
        {
            var wait = client.BlockedUntil - clock.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : null;
        }
    }

    /// <summary>Counts a failed attempt; returns how long the address must now wait, or null.</summary>
    public TimeSpan? Failed(IPAddress? address)
    {
        if (address is null)
        {
            return null;
        }

        if (_clients.Count >= MaxTrackedAddresses && Environment.TickCount64 - Interlocked.Read(ref _lastSweep) > 10_000)
        {
            // At most one sweep every 10 s: under a flood of new addresses each failure must stay cheap.
            Interlocked.Exchange(ref _lastSweep, Environment.TickCount64);
            Forget(TimeSpan.FromMinutes(1));
        }

        var client = _clients.GetOrAdd(Bucket(address), _ => new Client { Tokens = burst, Refilled = clock.GetUtcNow() });
        lock (client)
        {
            var now = clock.GetUtcNow();
            client.Tokens = Math.Min(burst, client.Tokens + ((now - client.Refilled).TotalMinutes * burst));
            client.Refilled = now;
            if (client.Tokens >= burst)
            {
                client.Strikes = 0;
            }

            if (client.Tokens >= 1)
            {
                client.Tokens--;
                return null;
            }

            var backoff = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, client.Strikes)));
            client.Strikes++;
            client.BlockedUntil = now + backoff;
            return backoff;
        }
    }

    private static IPAddress Bucket(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address;
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes);
    }

    /// <summary>Drops addresses that have been quiet for <paramref name="idle"/> (memory stays bounded under address floods).</summary>
    private void Forget(TimeSpan idle)
    {
        var cutoff = clock.GetUtcNow() - idle;
        foreach (var (address, client) in _clients)
        {
            if (client.Refilled < cutoff && client.BlockedUntil < cutoff)
            {
                _clients.TryRemove(address, out _);
            }
        }
    }

    private sealed class Client
    {
        public double Tokens { get; set; }

        public DateTimeOffset Refilled { get; set; }

        public int Strikes { get; set; }

        public DateTimeOffset BlockedUntil { get; set; }
    }
}
