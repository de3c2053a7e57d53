namespace Sift.Tests.Server;

/// <summary>
/// The tests that make the response cache count hits and misses. Sift's meter is one per process, so every server in
/// the test run reports every other's counts; these run one at a time so a test can assert exact cache counts.
/// </summary>
[CollectionDefinition(Name)]
public sealed class CacheCounters
{
    public const string Name = "cache counters";
}
