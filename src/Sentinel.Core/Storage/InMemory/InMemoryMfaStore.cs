using Sentinel.Mfa;
using Sentinel.Users;

namespace Sentinel.Storage.InMemory;

/// <summary>TOTP registrations, recovery codes and challenges in process memory, behind one lock; hands out copies.</summary>
public sealed class InMemoryMfaStore : IMfaStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, MfaRegistration> _registrations = [];
    private readonly Dictionary<Guid, RecoveryCodeRecord> _codes = [];
    private readonly Dictionary<Guid, MfaChallenge> _challenges = [];

    /// <inheritdoc />
    public ValueTask<MfaRegistration?> FindAsync(Guid userId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_registrations.TryGetValue(userId, out var r) ? Copy(r) : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<StoreWriteResult> SaveAsync(MfaRegistration registration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        lock (_gate)
        {
            var exists = _registrations.TryGetValue(registration.UserId, out var stored);
            var expected = exists ? stored!.ConcurrencyStamp : "";
            if (!string.Equals(expected, registration.ConcurrencyStamp, StringComparison.Ordinal))
            {
                return ValueTask.FromResult(StoreWriteResult.Conflict);
            }

            registration.ConcurrencyStamp = Guid.NewGuid().ToString("N");
            _registrations[registration.UserId] = Copy(registration);
            return ValueTask.FromResult(StoreWriteResult.Success);
        }
    }

    /// <inheritdoc />
    public ValueTask DeleteAsync(Guid userId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _registrations.Remove(userId);
            foreach (var id in _codes.Values.Where(c => c.UserId == userId).Select(c => c.Id).ToList())
            {
                _codes.Remove(id);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<bool> TryAdvanceStepAsync(Guid userId, long timeStep, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_registrations.TryGetValue(userId, out var r) || r.LastUsedStep >= timeStep)
            {
                return ValueTask.FromResult(false);
            }

            r.LastUsedStep = timeStep;
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask ReplaceRecoveryCodesAsync(Guid userId, IReadOnlyList<RecoveryCodeRecord> codes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(codes);
        lock (_gate)
        {
            foreach (var id in _codes.Values.Where(c => c.UserId == userId).Select(c => c.Id).ToList())
            {
                _codes.Remove(id);
            }

            foreach (var code in codes)
            {
                _codes[code.Id] = Copy(code);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RecoveryCodeRecord>> ListUnusedRecoveryCodesAsync(Guid userId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<RecoveryCodeRecord>>(
                _codes.Values.Where(c => c.UserId == userId && c.UsedAt is null).OrderBy(c => c.Id).Select(Copy).ToList());
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> TryUseRecoveryCodeAsync(Guid codeId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_codes.TryGetValue(codeId, out var code) || code.UsedAt is not null)
            {
                return ValueTask.FromResult(false);
            }

            code.UsedAt = now;
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask CreateChallengeAsync(MfaChallenge challenge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        lock (_gate)
        {
            _challenges.Add(challenge.Id, Copy(challenge));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<MfaChallenge?> FindChallengeAsync(Guid challengeId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_challenges.TryGetValue(challengeId, out var c) ? Copy(c) : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<int> DeleteExpiredChallengesAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var expired = _challenges.Values.Where(c => c.ExpiresAt < before).Select(c => c.Id).ToList();
            expired.ForEach(id => _challenges.Remove(id));
            return ValueTask.FromResult(expired.Count);
        }
    }

    /// <inheritdoc />
    public ValueTask RecordChallengeFailureAsync(Guid challengeId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_challenges.TryGetValue(challengeId, out var c))
            {
                c.FailedAttempts++;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<bool> TryRedeemChallengeAsync(Guid challengeId, DateTimeOffset now, int maxFailures, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_challenges.TryGetValue(challengeId, out var c) || c.RedeemedAt is not null || now >= c.ExpiresAt || c.FailedAttempts >= maxFailures)
            {
                return ValueTask.FromResult(false);
            }

            c.RedeemedAt = now;
            return ValueTask.FromResult(true);
        }
    }

    private static MfaRegistration Copy(MfaRegistration r) => new()
    {
        UserId = r.UserId,
        ProtectedSecret = r.ProtectedSecret?.ToArray(),
        PendingProtectedSecret = r.PendingProtectedSecret?.ToArray(),
        EnabledAt = r.EnabledAt,
        LastUsedStep = r.LastUsedStep,
        ConcurrencyStamp = r.ConcurrencyStamp,
    };

    private static RecoveryCodeRecord Copy(RecoveryCodeRecord c) => new()
    {
        Id = c.Id, UserId = c.UserId, Hash = c.Hash, CreatedAt = c.CreatedAt, UsedAt = c.UsedAt,
    };

    private static MfaChallenge Copy(MfaChallenge c) => new()
    {
        Id = c.Id, UserId = c.UserId, CreatedAt = c.CreatedAt, ExpiresAt = c.ExpiresAt, FailedAttempts = c.FailedAttempts, RedeemedAt = c.RedeemedAt, SecurityStamp = c.SecurityStamp,
        DeviceTokenHash = c.DeviceTokenHash,
    };
}
