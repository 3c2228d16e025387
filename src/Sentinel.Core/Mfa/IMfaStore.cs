using Sentinel.Users;

namespace Sentinel.Mfa;

/// <summary>
/// Persists TOTP registrations, recovery codes and MFA challenges. The "try" methods are atomic conditional
/// updates: of two concurrent callers at most one wins (a code, a recovery code or a challenge works once).
/// </summary>
public interface IMfaStore
{
    /// <summary>The user's registration, or null.</summary>
    ValueTask<MfaRegistration?> FindAsync(Guid userId, CancellationToken cancellationToken);

    /// <summary>
    /// Inserts (empty <see cref="MfaRegistration.ConcurrencyStamp"/>) or replaces (matching stamp) a registration and
    /// gives it a new stamp. <see cref="StoreWriteResult.Conflict"/> when another writer got there first.
    /// </summary>
    ValueTask<StoreWriteResult> SaveAsync(MfaRegistration registration, CancellationToken cancellationToken);

    /// <summary>Deletes the registration and every recovery code of the user.</summary>
    ValueTask DeleteAsync(Guid userId, CancellationToken cancellationToken);

    /// <summary>Sets <see cref="MfaRegistration.LastUsedStep"/> to <paramref name="timeStep"/> only if it is lower now. True when it did.</summary>
    ValueTask<bool> TryAdvanceStepAsync(Guid userId, long timeStep, CancellationToken cancellationToken);

    /// <summary>Deletes the user's recovery codes and adds <paramref name="codes"/>.</summary>
    ValueTask ReplaceRecoveryCodesAsync(Guid userId, IReadOnlyList<RecoveryCodeRecord> codes, CancellationToken cancellationToken);

    /// <summary>The user's unused recovery codes.</summary>
    ValueTask<IReadOnlyList<RecoveryCodeRecord>> ListUnusedRecoveryCodesAsync(Guid userId, CancellationToken cancellationToken);

    /// <summary>Marks a recovery code used if it is unused. True when this call used it.</summary>
    ValueTask<bool> TryUseRecoveryCodeAsync(Guid codeId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Adds a challenge.</summary>
    ValueTask CreateChallengeAsync(MfaChallenge challenge, CancellationToken cancellationToken);

    /// <summary>Finds a challenge, or null.</summary>
    ValueTask<MfaChallenge?> FindChallengeAsync(Guid challengeId, CancellationToken cancellationToken);

    /// <summary>Adds one to the challenge's failed attempts.</summary>
    ValueTask RecordChallengeFailureAsync(Guid challengeId, CancellationToken cancellationToken);

    /// <summary>
    /// Marks the challenge redeemed if it is unredeemed, unexpired at <paramref name="now"/> and has fewer than
    /// <paramref name="maxFailures"/> failures. True when this call redeemed it.
    /// </summary>
    ValueTask<bool> TryRedeemChallengeAsync(Guid challengeId, DateTimeOffset now, int maxFailures, CancellationToken cancellationToken);

    /// <summary>Deletes challenges that expired before <paramref name="before"/>, redeemed or not; returns how many.</summary>
    ValueTask<int> DeleteExpiredChallengesAsync(DateTimeOffset before, CancellationToken cancellationToken);
}
