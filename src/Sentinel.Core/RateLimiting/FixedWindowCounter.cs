namespace Sentinel.RateLimiting;

/// <summary>
/// Fixed windows counted in this process, one per key, lock-free: the one implementation behind the per-key budgets
/// of API keys, the per-mailbox email counts and Sentinel.Redis's counting while Redis is unreachable. A window
/// starts with its key's first request and is replaced whole when over (start and count together), on the host's
/// monotonic clock, so a step of the wall clock neither extends nor ends one.
/// </summary>
/// <typeparam name="TKey">What is counted: a key id, a mailbox's hash, a policy and address.</typeparam>
public sealed class FixedWindowCounter<TKey> where TKey : notnull
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<TKey, Window> _windows;
    private readonly TimeProvider _time;

    /// <summary>Creates an empty counter on <paramref name="time"/>'s monotonic clock.</summary>
    public FixedWindowCounter(TimeProvider time, IEqualityComparer<TKey>? comparer = null)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _windows = new(comparer);
    }

    /// <summary>How many keys have a window now.</summary>
    public int Count => _windows.Count;

    /// <summary>
    /// Counts <paramref name="permits"/> requests of <paramref name="key"/>: null when the window of
    /// <paramref name="length"/> still had room for them within <paramref name="limit"/>, else the time until it ends.
    /// </summary>
    public TimeSpan? TryAcquire(TKey key, int limit, TimeSpan length, int permits = 1)
    {
        var ticks = (long)(length.TotalSeconds * _time.TimestampFrequency);
        var now = _time.GetTimestamp();
        var window = _windows.GetOrAdd(key, static (_, start) => new Window(start), now);
        while (now - window.Start >= ticks)
        {
            var next = new Window(now);
            if (_windows.TryUpdate(key, next, window))
            {
                window = next;
                break;
            }

            window = _windows.GetOrAdd(key, static (_, start) => new Window(start), now);
        }

        return Interlocked.Add(ref window.Used, permits) <= limit
            ? null
            : TimeSpan.FromSeconds(Math.Max(0.001, (double)(window.Start + ticks - now) / _time.TimestampFrequency));
    }

    /// <summary>Drops windows that started at least <paramref name="age"/> ago (a key used again starts a new one), so idle keys do not pile up.</summary>
    public void Prune(TimeSpan age)
    {
        var (now, ticks) = (_time.GetTimestamp(), (long)(age.TotalSeconds * _time.TimestampFrequency));
        foreach (var (key, window) in _windows)
        {
            if (now - window.Start >= ticks)
            {
                _windows.TryRemove(new KeyValuePair<TKey, Window>(key, window)); // only if not replaced meanwhile
            }
        }
    }

    private sealed class Window(long start)
    {
        public long Start { get; } = start;

        public long Used;
    }
}
