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

    /// <summary>
    /// How long a device token (the token response's <c>deviceToken</c>) recognises the device it was issued to:
    /// a sign-in that presents it is counted against that device, not the account, so a lockout others cause does
    /// not refuse it (OWASP "device cookies"). Default 90 days; <c>00:00:00</c> issues none.
    /// </summary>
    public TimeSpan DeviceTokenLifetime { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Adds what is wrong with these settings to <paramref name="result"/>, each with its configuration key and how to fix it.</summary>
    internal void Validate(Microsoft.Extensions.Options.ValidateOptionsResultBuilder result)
    {
        var l = this;
        if (l.MaxFailedAttempts < 1 || l.MaxFailedAttempts > 100)
        {
            result.AddError("must be between 1 and 100 (SECURITY P4: lock well under 100 attempts).", "Sentinel:Lockout:MaxFailedAttempts");
        }

        if (l.LockoutDuration <= TimeSpan.Zero)
        {
            result.AddError("must be positive, for example 00:05:00.", "Sentinel:Lockout:LockoutDuration");
        }

        if (l.MaxLockoutDuration < l.LockoutDuration)
        {
            result.AddError("must be at least LockoutDuration.", "Sentinel:Lockout:MaxLockoutDuration");
        }

        if (l.DeviceTokenLifetime < TimeSpan.Zero || l.DeviceTokenLifetime > TimeSpan.FromDays(400))
        {
            result.AddError("must be between 00:00:00 (no device tokens) and 400.00:00:00, for example 90.00:00:00.", "Sentinel:Lockout:DeviceTokenLifetime");
        }
    }
}
