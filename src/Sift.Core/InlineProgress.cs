namespace Sift.Core;

/// <summary>
/// Reports on the calling thread, in order (<see cref="Progress{T}"/> posts each report to the thread pool, so they can
/// arrive late and out of order, after the work they describe has finished).
/// </summary>
public sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
