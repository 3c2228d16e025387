using Sentinel.Sessions;

namespace Sentinel.Storage.InMemory;

/// <summary>Sessions and refresh tokens in process memory, behind one lock; hands out copies.</summary>
public sealed class InMemorySessionStore : ISessionStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, SentinelSession> _sessions = [];
    private readonly Dictionary<string, RefreshTokenRecord> _tokens = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask CreateAsync(SentinelSession session, RefreshTokenRecord firstToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(firstToken);
        lock (_gate)
        {
            _sessions.Add(session.Id, Copy(session));
            _tokens.Add(firstToken.Hash, Copy(firstToken));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<SentinelSession?> FindAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_sessions.TryGetValue(sessionId, out var s) ? Copy(s) : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<SentinelSession>> ListActiveAsync(Guid userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<SentinelSession> list = _sessions.Values.Where(s => s.UserId == userId && s.IsActive(now))
                .OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id).Select(Copy).ToList();
            return ValueTask.FromResult(list);
        }
    }

    /// <inheritdoc />
    public ValueTask<RefreshTokenRecord?> FindRefreshTokenAsync(string hash, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_tokens.TryGetValue(hash, out var t) ? Copy(t) : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> TrySpendRefreshTokenAsync(string hash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_tokens.TryGetValue(hash, out var token) || token.SpentAt is not null)
            {
                return ValueTask.FromResult(false);
            }

            token.SpentAt = now;
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask AddRefreshTokenAsync(RefreshTokenRecord token, DateTimeOffset lastUsedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        lock (_gate)
        {
            _tokens.Add(token.Hash, Copy(token));
            if (_sessions.TryGetValue(token.SessionId, out var session))
            {
                session.LastUsedAt = lastUsedAt;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<bool> ReauthenticateAsync(
        Guid sessionId, DateTimeOffset authenticatedAt, IReadOnlyList<string> authenticationMethods, RefreshTokenRecord nextToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(authenticationMethods);
        ArgumentNullException.ThrowIfNull(nextToken);
        lock (_gate)
        {
            if (!_sessions.TryGetValue(sessionId, out var session) || session.RevokedAt is not null)
            {
                return ValueTask.FromResult(false);
            }

            session.AuthenticatedAt = authenticatedAt;
            session.AuthenticationMethods = [.. authenticationMethods];
            session.LastUsedAt = authenticatedAt;
            foreach (var token in _tokens.Values.Where(t => t.SessionId == sessionId && t.SpentAt is null))
            {
                token.SpentAt = authenticatedAt;
            }

            _tokens.Add(nextToken.Hash, Copy(nextToken));
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> RevokeAsync(Guid sessionId, DateTimeOffset now, string reason, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_sessions.TryGetValue(sessionId, out var session) || session.RevokedAt is not null)
            {
                return ValueTask.FromResult(false);
            }

            session.RevokedAt = now;
            session.RevokedReason = reason;
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Guid>> RevokeAllAsync(Guid userId, Guid? exceptSessionId, DateTimeOffset now, string reason, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var revoked = new List<Guid>();
            foreach (var session in _sessions.Values)
            {
                if (session.UserId == userId && session.RevokedAt is null && session.Id != exceptSessionId)
                {
                    session.RevokedAt = now;
                    session.RevokedReason = reason;
                    revoked.Add(session.Id);
                }
            }

            return ValueTask.FromResult<IReadOnlyList<Guid>>(revoked);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RevokedSession>> ListRevokedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<RevokedSession> list = _sessions.Values.Where(s => s.RevokedAt > since)
                .Select(s => new RevokedSession(s.Id, s.UserId, s.RevokedAt!.Value)).ToList();
            return ValueTask.FromResult(list);
        }
    }

    /// <inheritdoc />
    public ValueTask<int> DeleteExpiredAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var tokens = _tokens.Where(t => t.Value.ExpiresAt < before).Select(t => t.Key).ToList();
            tokens.ForEach(h => _tokens.Remove(h));
            var sessions = _sessions.Where(s => s.Value.ExpiresAt < before).Select(s => s.Key).ToList();
            sessions.ForEach(id => _sessions.Remove(id));
            return ValueTask.FromResult(tokens.Count + sessions.Count);
        }
    }

    private static SentinelSession Copy(SentinelSession s)
    {
        var copy = (SentinelSession)s.MemberwiseCloneForStore();
        copy.AuthenticationMethods = [.. s.AuthenticationMethods];
        return copy;
    }

    private static RefreshTokenRecord Copy(RefreshTokenRecord t) => new()
    {
        Hash = t.Hash, SessionId = t.SessionId, UserId = t.UserId, IssuedAt = t.IssuedAt, ExpiresAt = t.ExpiresAt, SpentAt = t.SpentAt,
    };
}
