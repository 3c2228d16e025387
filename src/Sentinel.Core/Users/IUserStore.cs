namespace Sentinel.Users;

/// <summary>
/// Persists users. Holds data, never policy: validation, hashing and lockout live in <see cref="UserService"/>.
/// Every implementation must pass the shared store conformance suite.
/// </summary>
public interface IUserStore
{
    /// <summary>Finds a user by id, or null.</summary>
    ValueTask<SentinelUser?> FindByIdAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Finds a user by normalised email (exact, ordinal match), or null.</summary>
    ValueTask<SentinelUser?> FindByNormalizedEmailAsync(string normalizedEmail, CancellationToken cancellationToken);

    /// <summary>
    /// Adds a new user and sets its <see cref="SentinelUser.ConcurrencyStamp"/>.
    /// Returns <see cref="StoreWriteResult.Duplicate"/> when the normalised email or id is taken.
    /// </summary>
    ValueTask<StoreWriteResult> CreateAsync(SentinelUser user, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces a user if its stored <see cref="SentinelUser.ConcurrencyStamp"/> still equals the one on
    /// <paramref name="user"/>, then gives it a new stamp. Returns <see cref="StoreWriteResult.Conflict"/> when
    /// another writer got there first and <see cref="StoreWriteResult.NotFound"/> when the user is gone.
    /// </summary>
    ValueTask<StoreWriteResult> UpdateAsync(SentinelUser user, CancellationToken cancellationToken);

    /// <summary>
    /// Users whose <see cref="SentinelUser.SecurityValidAfter"/> is after <paramref name="since"/>, with that time:
    /// what the in-memory revocation list needs at start.
    /// </summary>
    ValueTask<IReadOnlyList<(Guid UserId, DateTimeOffset ValidAfter)>> ListSecurityValidAfterSinceAsync(DateTimeOffset since, CancellationToken cancellationToken);
}

/// <summary>What a store write did.</summary>
public enum StoreWriteResult
{
    /// <summary>Written.</summary>
    Success,
    /// <summary>A unique value (id, normalised email) is taken; nothing was written.</summary>
    Duplicate,
    /// <summary>The row changed since it was read; nothing was written.</summary>
    Conflict,
    /// <summary>The row does not exist; nothing was written.</summary>
    NotFound,
}
