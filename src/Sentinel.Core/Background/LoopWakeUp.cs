using System.Threading.Tasks.Sources;

namespace Sentinel.Background;

/// <summary>
/// Wakes one background loop from many writers without a lock or an allocation. The loop arms it and sleeps only
/// after finding no work; the writer that disarms it wakes the loop, so a wake-up is never lost or doubled.
/// </summary>
internal sealed class LoopWakeUp : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _sleeping;

    /// <summary>True while the loop sleeps (a cheap read for writers).</summary>
    public bool IsSleeping => Volatile.Read(ref _sleeping) == 1;

    /// <summary>
    /// The loop: sleeps until <see cref="Wake"/>, unless <paramref name="hasWork"/> says, after arming, that there is
    /// work already (checked after arming, so a writer that queued just before is not missed).
    /// </summary>
    public ValueTask SleepAsync(Func<bool> hasWork)
    {
        _core.Reset(); // the previous wake-up was consumed; none can be pending before arming
        Interlocked.Exchange(ref _sleeping, 1);
        if (hasWork() && Interlocked.Exchange(ref _sleeping, 0) == 1)
        {
            return default; // nobody disarmed it, so no wake-up is on its way
        }

        return new ValueTask(this, _core.Version);
    }

    /// <summary>Writers: wakes the loop if it sleeps (only the writer that disarms it does).</summary>
    public void Wake()
    {
        if (Interlocked.Exchange(ref _sleeping, 0) == 1)
        {
            _core.SetResult(true);
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
