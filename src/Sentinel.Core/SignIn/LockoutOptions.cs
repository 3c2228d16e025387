namespace Sentinel.SignIn;

/// <summary>Account lockout after consecutive failed sign-ins (password and, later, MFA codes together).</summary>
public sealed class LockoutOptions
{
    /// <summary>Turns lockout on. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Consecutive failures that lock the account. Default 5.</summary>
    public int MaxFailedAttempts { get; set; } = 5;

    /// <summary>The first lockout's length; each further lockout in a row doubles it. Default 5 minutes.</summary>
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest a lockout grows to. Default 1 hour.</summary>
    public TimeSpan MaxLockoutDuration { get; set; } = TimeSpan.FromHours(1);
}
