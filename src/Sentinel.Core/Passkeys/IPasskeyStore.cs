namespace Sentinel.Passkeys;

/// <summary>
/// Persists passkeys and their ceremonies' challenges. Holds data, never policy. The "try" methods are atomic
/// conditional updates: of two concurrent callers at most one wins (a challenge is answered once, a counter only
/// moves forward, a credential id registers once).
/// </summary>
public interface IPasskeyStore
{
    /// <summary>Adds a passkey unless its <see cref="PasskeyCredential.CredentialId"/> is registered already (to anyone). True when added.</summary>
    ValueTask<bool> TryAddAsync(PasskeyCredential passkey, CancellationToken cancellationToken);

    /// <summary>The passkey with this credential id (compared byte for byte), or null.</summary>
    ValueTask<PasskeyCredential?> FindByCredentialIdAsync(byte[] credentialId, CancellationToken cancellationToken);

    /// <summary>The user's passkeys, oldest first.</summary>
    ValueTask<IReadOnlyList<PasskeyCredential>> ListAsync(Guid userId, CancellationToken cancellationToken);

    /// <summary>
    /// Records a sign-in with the passkey: sets its counter to <paramref name="signCount"/>, its backed-up flag and
    /// its last use, only if its counter is still <paramref name="expectedSignCount"/>. True when it did.
    /// </summary>
    ValueTask<bool> TryRecordUseAsync(Guid id, long expectedSignCount, long signCount, bool isBackedUp, DateTimeOffset usedAt, CancellationToken cancellationToken);

    /// <summary>Renames the user's passkey; false when the user has no such passkey.</summary>
    ValueTask<bool> RenameAsync(Guid userId, Guid id, string name, CancellationToken cancellationToken);

    /// <summary>Deletes the user's passkey; false when the user has no such passkey.</summary>
    ValueTask<bool> DeleteAsync(Guid userId, Guid id, CancellationToken cancellationToken);

    /// <summary>Stores a new challenge.</summary>
    ValueTask CreateChallengeAsync(PasskeyChallenge challenge, CancellationToken cancellationToken);

    /// <summary>The challenge with this hash (exact, ordinal), answered or not, or null.</summary>
    ValueTask<PasskeyChallenge?> FindChallengeAsync(string challengeHash, CancellationToken cancellationToken);

    /// <summary>Marks the challenge answered if it is unanswered and unexpired at <paramref name="now"/>. True for the one caller that did.</summary>
    ValueTask<bool> TrySpendChallengeAsync(Guid id, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Deletes challenges that expired before <paramref name="before"/>; returns how many.</summary>
    ValueTask<int> DeleteExpiredChallengesAsync(DateTimeOffset before, CancellationToken cancellationToken);
}
