namespace Sentinel.Users;

/// <summary>A user account. Stores persist it as is; <see cref="UserService"/> decides every change.</summary>
public sealed class SentinelUser
{
    /// <summary>Time-ordered identifier (GUID v7).</summary>
    public Guid Id { get; set; }

    /// <summary>The email as the user typed it, trimmed.</summary>
    public string Email { get; set; } = "";

    /// <summary>The email normalised for lookups (<see cref="EmailNormalizer"/>); unique per store.</summary>
    public string NormalizedEmail { get; set; } = "";

    /// <summary>The password hash: an Argon2id or PBKDF2 PHC string, or an imported ASP.NET Core Identity hash.</summary>
    public string PasswordHash { get; set; } = "";

    /// <summary>Role names, compared ordinally.</summary>
    public List<string> Roles { get; set; } = [];

    /// <summary>When the account was created (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the account last changed (UTC).</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>A disabled account cannot sign in and its tokens are refused.</summary>
    public bool IsDisabled { get; set; }

    /// <summary>Whether the user proved they control <see cref="Email"/> (a confirmation or reset link reached it).</summary>
    public bool EmailConfirmed { get; set; }

    /// <summary>Credentials and tokens issued before this instant are no longer valid (revocation of everything).</summary>
    public DateTimeOffset SecurityValidAfter { get; set; }

    /// <summary>
    /// A random value that changes whenever the account's credentials or sessions are reset: a password change or
    /// reset, a logout everywhere, disabling. What was begun before (an MFA challenge, a reset link, a sign-in whose
    /// password was checked) carries the stamp it saw and cannot complete after a change (SECURITY T12).
    /// </summary>
    public string SecurityStamp { get; set; } = "";

    /// <summary>
    /// The WebAuthn user handle of the account's passkeys: 64 random bytes, made at the first passkey registration
    /// and never the email or id, so an authenticator learns nothing about the account from it. Null until then.
    /// </summary>
    public byte[]? PasskeyUserHandle { get; set; }

    /// <summary>Consecutive failed sign-in attempts since the last success or lockout.</summary>
    public int AccessFailedCount { get; set; }

    /// <summary>How many lockouts in a row the account has had; each doubles the next lockout's length.</summary>
    public int LockoutCount { get; set; }

    /// <summary>While the current time is before this instant, sign-in is refused.</summary>
    public DateTimeOffset? LockoutEnd { get; set; }

    /// <summary>Changes on every write; a store refuses an update whose stamp is stale (optimistic concurrency).</summary>
    public string ConcurrencyStamp { get; set; } = "";

    /// <summary>A copy that shares no mutable state with this instance.</summary>
    public SentinelUser Clone()
    {
        var copy = (SentinelUser)MemberwiseClone();
        copy.Roles = [.. Roles];
        copy.PasskeyUserHandle = PasskeyUserHandle is null ? null : [.. PasskeyUserHandle];
        return copy;
    }
}
