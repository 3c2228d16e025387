using System.Collections.Concurrent;
using Sentinel.Users;

namespace Sentinel.SignIn;

/// <summary>
/// Lockout counters for addresses that have no account, kept in memory, so that a sign-in to an unknown address meets
/// the same 401s and then the same 429 <c>locked_out</c> as one to a real account: six requests no longer tell whether
/// an account exists (the "the lockout tells"). Bounded: past <see cref="MaxAddresses"/> the counters start
/// over, which at worst lets a flood of distinct addresses see 401s a little longer. Per process.
/// </summary>
internal sealed class UnknownAccountLockouts
{
    public const int MaxAddresses = 100_000;

    private ConcurrentDictionary<string, SentinelUser> _byAddress = new(StringComparer.Ordinal);

    /// <summary>Counts a failed sign-in to <paramref name="normalizedEmail"/>: the wait when it is (or now becomes) locked, null otherwise.</summary>
    public TimeSpan? RecordFailure(string normalizedEmail, LockoutOptions options, DateTimeOffset now)
    {
        if (!options.Enabled || normalizedEmail.Length == 0)
        {
            return null;
        }

        var counters = _byAddress;
        if (counters.Count >= MaxAddresses)
        {
            counters = _byAddress = new ConcurrentDictionary<string, SentinelUser>(StringComparer.Ordinal);
        }

        var phantom = counters.GetOrAdd(normalizedEmail, static _ => new SentinelUser());
        lock (phantom)
        {
            if (AccountLockout.IsLockedOut(phantom, now, out var wait))
            {
                return wait;
            }

            return AccountLockout.RecordFailure(phantom, options, now) ? phantom.LockoutEnd!.Value - now : null;
        }
    }
}
