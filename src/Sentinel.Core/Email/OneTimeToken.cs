namespace Sentinel.Email;

/// <summary>What a one-time token is for.</summary>
public enum OneTimeTokenPurpose
{
    /// <summary>Confirms that the user controls the account's email address.</summary>
    EmailConfirmation = 1,

    /// <summary>Lets the user set a new password without the old one.</summary>
    PasswordReset = 2,

    /// <summary>
    /// A device the user signed in from (the token response's <c>deviceToken</c>): a sign-in that presents it is not
    /// refused by a lockout others caused. Replaced by a new one at each sign-in from the device.
    /// </summary>
    DeviceRecognition = 3,
}

/// <summary>A single-use emailed token, stored only as the SHA-256 of the token the user received.</summary>
public sealed class OneTimeTokenRecord
{
    /// <summary>The record's id.</summary>
    public required Guid Id { get; init; }

    /// <summary>Whose token it is.</summary>
    public required Guid UserId { get; init; }

    /// <summary>What it is for.</summary>
    public required OneTimeTokenPurpose Purpose { get; init; }

    /// <summary>SHA-256 of the token, base64url.</summary>
    public required string Hash { get; init; }

    /// <summary>When it was issued.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it stops working.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>When it was used or replaced by a newer token; <c>null</c> while it still works.</summary>
    public DateTimeOffset? UsedAt { get; set; }

    /// <summary>The user's <see cref="Users.SentinelUser.SecurityStamp"/> when it was issued; a reset link stops working once the stamp changes (SECURITY T12).</summary>
    public string SecurityStamp { get; init; } = "";
}

/// <summary>Keeps one-time tokens. Spending must be atomic: of two concurrent spends of one token, one wins.</summary>
public interface IOneTimeTokenStore
{
    /// <summary>Stores a new token.</summary>
    ValueTask CreateAsync(OneTimeTokenRecord token, CancellationToken cancellationToken);

    /// <summary>The token with this hash and purpose, used or not, or <c>null</c>.</summary>
    ValueTask<OneTimeTokenRecord?> FindAsync(string hash, OneTimeTokenPurpose purpose, CancellationToken cancellationToken);

    /// <summary>Marks the token used if it is unused and unexpired at <paramref name="now"/>; <c>true</c> for the one caller that did.</summary>
    ValueTask<bool> SpendAsync(Guid id, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Marks every unused token of the user for <paramref name="purpose"/> used (a newer one replaces them).</summary>
    ValueTask RevokeAllAsync(Guid userId, OneTimeTokenPurpose purpose, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Deletes tokens that expired before <paramref name="before"/>.</summary>
    ValueTask<int> DeleteExpiredAsync(DateTimeOffset before, CancellationToken cancellationToken);
}
