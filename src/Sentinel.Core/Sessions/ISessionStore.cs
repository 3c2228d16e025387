namespace Sentinel.Sessions;

/// <summary>
/// Persists sessions and refresh tokens. Holds data, never policy; <see cref="TrySpendRefreshTokenAsync"/> must be
/// an atomic conditional update so that of two concurrent refreshes exactly one wins (SECURITY T9).
/// </summary>
public interface ISessionStore
{
    /// <summary>Adds a session with its first refresh token.</summary>
    ValueTask CreateAsync(SentinelSession session, RefreshTokenRecord firstToken, CancellationToken cancellationToken);

    /// <summary>Finds a session by id, or null.</summary>
    ValueTask<SentinelSession?> FindAsync(Guid sessionId, CancellationToken cancellationToken);

    /// <summary>The user's sessions that are neither revoked nor past their absolute end, newest first.</summary>
    ValueTask<IReadOnlyList<SentinelSession>> ListActiveAsync(Guid userId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Finds a refresh token by the hash of its string (exact, ordinal), or null.</summary>
    ValueTask<RefreshTokenRecord?> FindRefreshTokenAsync(string hash, CancellationToken cancellationToken);

    /// <summary>Marks the token spent at <paramref name="now"/> if, and only if, it is unspent. True when this call spent it.</summary>
    ValueTask<bool> TrySpendRefreshTokenAsync(string hash, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Adds the next refresh token of a session and records the session's use.</summary>
    ValueTask AddRefreshTokenAsync(RefreshTokenRecord token, DateTimeOffset lastUsedAt, CancellationToken cancellationToken);

    /// <summary>
    /// Records a re-authentication, if the session is not revoked: sets its <see cref="SentinelSession.AuthenticatedAt"/>,
    /// <see cref="SentinelSession.AuthenticationMethods"/> and <see cref="SentinelSession.LastUsedAt"/> to the given
    /// values, marks every unspent refresh token of it spent at <paramref name="authenticatedAt"/> (the caller's new
    /// token replaces them, and a replay of one is reuse), and adds <paramref name="nextToken"/>. All or nothing; true when done.
    /// </summary>
    ValueTask<bool> ReauthenticateAsync(
        Guid sessionId, DateTimeOffset authenticatedAt, IReadOnlyList<string> authenticationMethods, RefreshTokenRecord nextToken, CancellationToken cancellationToken);

    /// <summary>Revokes a session if it is not already revoked. True when this call revoked it.</summary>
    ValueTask<bool> RevokeAsync(Guid sessionId, DateTimeOffset now, string reason, CancellationToken cancellationToken);

    /// <summary>Revokes every unrevoked session of a user except <paramref name="exceptSessionId"/>; returns the ids revoked.</summary>
    ValueTask<IReadOnlyList<Guid>> RevokeAllAsync(Guid userId, Guid? exceptSessionId, DateTimeOffset now, string reason, CancellationToken cancellationToken);

    /// <summary>Sessions revoked after <paramref name="since"/> (their access tokens may still be alive).</summary>
    ValueTask<IReadOnlyList<RevokedSession>> ListRevokedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Deletes sessions past their absolute end before <paramref name="before"/>, and refresh tokens expired before it.</summary>
    ValueTask<int> DeleteExpiredAsync(DateTimeOffset before, CancellationToken cancellationToken);
}
