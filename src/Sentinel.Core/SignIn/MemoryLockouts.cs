using System.Collections.Concurrent;
using Sentinel.Users;

namespace Sentinel.SignIn;

/// <summary>
/// Lockout counters kept in memory under a key, with the account lockout's rules. Two uses: addresses that have no
/// account, so that a sign-in to an unknown address meets the same 401s and then the same 429 <c>locked_out</c> as one
/// to a real account (six requests no longer tell whether an account exists); and recognised devices, whose failures
/// count against the device instead of the account (OWASP "device cookies"). Bounded: past <see cref="MaxKeys"/> the
/// counters start over, which at worst gives a flood of distinct keys a few more attempts. Per process.
/// </summary>
internal sealed class MemoryLockouts
{
    public const int MaxKeys = 100_000;

    private ConcurrentDictionary<string, SentinelUser> _byKey = new(StringComparer.Ordinal);

    /// <summary>Counts a failure under <paramref name="key"/>: the wait when it is (or now becomes) locked, null otherwise.</summary>
    public TimeSpan? RecordFailure(string key, LockoutOptions options, DateTimeOffset now)
    {
        if (!options.Enabled || key.Length == 0)
        {
            return null;
        }

        var counters = _byKey;
        if (counters.Count >= MaxKeys)
        {
            counters = _byKey = new ConcurrentDictionary<string, SentinelUser>(StringComparer.Ordinal);
        }

        var phantom = counters.GetOrAdd(key, static _ => new SentinelUser());
        lock (phantom)
        {
            if (AccountLockout.IsLockedOut(phantom, now, out var wait))
            {
                return wait;
            }

            return AccountLockout.RecordFailure(phantom, options, now) ? phantom.LockoutEnd!.Value - now : null;
        }
    }

    /// <summary>Whether <paramref name="key"/> is locked now, and for how long.</summary>
    public bool IsLockedOut(string key, DateTimeOffset now, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!_byKey.TryGetValue(key, out var phantom))
        {
            return false;
        }

        lock (phantom)
        {
            return AccountLockout.IsLockedOut(phantom, now, out retryAfter);
        }
    }

    /// <summary>How many more failures <paramref name="key"/> takes before it locks.</summary>
    public int ChecksLeft(string key, LockoutOptions options)
    {
        if (!options.Enabled)
        {
            return int.MaxValue;
        }

        if (!_byKey.TryGetValue(key, out var phantom))
        {
            return options.MaxFailedAttempts;
        }

        lock (phantom)
        {
            return Math.Max(1, options.MaxFailedAttempts - phantom.AccessFailedCount);
        }
    }

    /// <summary>Clears <paramref name="key"/>'s counters after a success.</summary>
    public void Reset(string key) => _byKey.TryRemove(key, out _);
}
