using Sentinel.Users;

namespace Sentinel.SignIn;

/// <summary>The lockout rules, applied to a user's counters. Pure: no store, no clock of its own.</summary>
internal static class AccountLockout
{
    public static bool IsLockedOut(SentinelUser user, DateTimeOffset now, out TimeSpan retryAfter)
    {
        retryAfter = user.LockoutEnd is { } end && end > now ? end - now : TimeSpan.Zero;
        return retryAfter > TimeSpan.Zero;
    }

    /// <summary>Counts a failure; returns true when it locks the account.</summary>
    public static bool RecordFailure(SentinelUser user, LockoutOptions options, DateTimeOffset now)
    {
        if (!options.Enabled)
        {
            return false;
        }

        user.AccessFailedCount++;
        if (user.AccessFailedCount < options.MaxFailedAttempts)
        {
            return false;
        }

        user.LockoutEnd = now + Duration(user.LockoutCount, options);
        user.LockoutCount++;
        user.AccessFailedCount = 0;
        return true;
    }

    /// <summary>Clears the counters after a success; returns true when anything changed.</summary>
    public static bool Reset(SentinelUser user)
    {
        if (user.AccessFailedCount == 0 && user.LockoutCount == 0 && user.LockoutEnd is null)
        {
            return false;
        }

        user.AccessFailedCount = 0;
        user.LockoutCount = 0;
        user.LockoutEnd = null;
        return true;
    }

    /// <summary>The length of lockout number <paramref name="previousLockouts"/> + 1: doubled each time, capped.</summary>
    public static TimeSpan Duration(int previousLockouts, LockoutOptions options)
    {
        var factor = Math.Pow(2, Math.Min(previousLockouts, 30));
        var ticks = Math.Min(options.LockoutDuration.Ticks * factor, options.MaxLockoutDuration.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}
