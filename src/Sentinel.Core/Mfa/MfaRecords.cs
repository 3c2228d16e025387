namespace Sentinel.Mfa;

/// <summary>A user's TOTP state. Secrets are stored only encrypted (SECURITY M2).</summary>
public sealed class MfaRegistration
{
    /// <summary>The user.</summary>
    public Guid UserId { get; set; }

    /// <summary>The confirmed secret, encrypted; null until enrolment is confirmed.</summary>
    public byte[]? ProtectedSecret { get; set; }

    /// <summary>A secret awaiting its first code, encrypted; replaced by a new setup.</summary>
    public byte[]? PendingProtectedSecret { get; set; }

    /// <summary>When MFA was turned on; null while off.</summary>
    public DateTimeOffset? EnabledAt { get; set; }

    /// <summary>The last time step a code was accepted for; that step and older ones never pass again (SECURITY M3).</summary>
    public long LastUsedStep { get; set; }

    /// <summary>Changes on every write (optimistic concurrency).</summary>
    public string ConcurrencyStamp { get; set; } = "";

    /// <summary>True when MFA is on.</summary>
    public bool IsEnabled => EnabledAt is not null && ProtectedSecret is not null;
}

/// <summary>One recovery code, stored only as a salted slow hash (SECURITY M6).</summary>
public sealed class RecoveryCodeRecord
{
    /// <summary>Its id.</summary>
    public Guid Id { get; set; }

    /// <summary>The user.</summary>
    public Guid UserId { get; set; }

    /// <summary>The code's hash (a PHC string from the password hasher).</summary>
    public string Hash { get; set; } = "";

    /// <summary>When the set was made.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When it was used; a used code never passes again.</summary>
    public DateTimeOffset? UsedAt { get; set; }
}

/// <summary>A pending MFA sign-in: the server side of an MFA challenge token.</summary>
public sealed class MfaChallenge
{
    /// <summary>The first 128 bits of the SHA-256 of the opaque challenge token (the token itself is never stored).</summary>
    public Guid Id { get; set; }

    /// <summary>The user who gave the right password.</summary>
    public Guid UserId { get; set; }

    /// <summary>When it was issued.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When it stops being redeemable.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Wrong codes so far.</summary>
    public int FailedAttempts { get; set; }

    /// <summary>The user's <see cref="Users.SentinelUser.SecurityStamp"/> when the password was checked; a changed stamp ends the challenge (SECURITY T12).</summary>
    public string SecurityStamp { get; set; } = "";

    /// <summary>When it was redeemed; a challenge is redeemed once.</summary>
    public DateTimeOffset? RedeemedAt { get; set; }

    /// <summary>
    /// The hash of the recognised device token the password step presented, if any: the code step then counts
    /// against that device, not the account, and the device gets a new token when it completes.
    /// </summary>
    public string? DeviceTokenHash { get; set; }
}
