using Sentinel.Passkeys;

namespace Sentinel.Storage.InMemory;

/// <summary>Passkeys and their challenges in process memory, behind one lock; hands out copies.</summary>
public sealed class InMemoryPasskeyStore : IPasskeyStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, PasskeyCredential> _passkeys = [];
    private readonly Dictionary<Guid, PasskeyChallenge> _challenges = [];

    /// <inheritdoc />
    public ValueTask<bool> TryAddAsync(PasskeyCredential passkey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(passkey);
        lock (_gate)
        {
            if (_passkeys.Values.Any(p => p.CredentialId.AsSpan().SequenceEqual(passkey.CredentialId)))
            {
                return ValueTask.FromResult(false);
            }

            _passkeys.Add(passkey.Id, Copy(passkey));
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<PasskeyCredential?> FindByCredentialIdAsync(byte[] credentialId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credentialId);
        lock (_gate)
        {
            var found = _passkeys.Values.FirstOrDefault(p => p.CredentialId.AsSpan().SequenceEqual(credentialId));
            return ValueTask.FromResult(found is null ? null : Copy(found));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<PasskeyCredential>> ListAsync(Guid userId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<PasskeyCredential> list = _passkeys.Values.Where(p => p.UserId == userId)
                .OrderBy(p => p.CreatedAt).ThenBy(p => p.Id).Select(Copy).ToList();
            return ValueTask.FromResult(list);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> TryRecordUseAsync(Guid id, long expectedSignCount, long signCount, bool isBackedUp, DateTimeOffset usedAt, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_passkeys.TryGetValue(id, out var passkey) || passkey.SignCount != expectedSignCount)
            {
                return ValueTask.FromResult(false);
            }

            passkey.SignCount = signCount;
            passkey.IsBackedUp = isBackedUp;
            passkey.LastUsedAt = usedAt;
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> RenameAsync(Guid userId, Guid id, string name, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_passkeys.TryGetValue(id, out var passkey) || passkey.UserId != userId)
            {
                return ValueTask.FromResult(false);
            }

            passkey.Name = name;
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> DeleteAsync(Guid userId, Guid id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_passkeys.TryGetValue(id, out var passkey) && passkey.UserId == userId && _passkeys.Remove(id));
        }
    }

    /// <inheritdoc />
    public ValueTask CreateChallengeAsync(PasskeyChallenge challenge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        lock (_gate)
        {
            _challenges.Add(challenge.Id, Copy(challenge));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<PasskeyChallenge?> FindChallengeAsync(string challengeHash, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var found = _challenges.Values.FirstOrDefault(c => string.Equals(c.ChallengeHash, challengeHash, StringComparison.Ordinal));
            return ValueTask.FromResult(found is null ? null : Copy(found));
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> TrySpendChallengeAsync(Guid id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_challenges.TryGetValue(id, out var challenge) || challenge.UsedAt is not null || now >= challenge.ExpiresAt)
            {
                return ValueTask.FromResult(false);
            }

            challenge.UsedAt = now;
            return ValueTask.FromResult(true);
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

    private static PasskeyCredential Copy(PasskeyCredential p) => new()
    {
        Id = p.Id, UserId = p.UserId, CredentialId = [.. p.CredentialId], PublicKey = [.. p.PublicKey], SignCount = p.SignCount,
        Transports = [.. p.Transports], IsBackupEligible = p.IsBackupEligible, IsBackedUp = p.IsBackedUp, AaGuid = p.AaGuid,
        AttestationFormat = p.AttestationFormat, Name = p.Name, CreatedAt = p.CreatedAt, LastUsedAt = p.LastUsedAt,
    };

    private static PasskeyChallenge Copy(PasskeyChallenge c) => new()
    {
        Id = c.Id, ChallengeHash = c.ChallengeHash, Ceremony = c.Ceremony, UserId = c.UserId, SecurityStamp = c.SecurityStamp,
        OptionsJson = c.OptionsJson, CreatedAt = c.CreatedAt, ExpiresAt = c.ExpiresAt, UsedAt = c.UsedAt,
    };
}
