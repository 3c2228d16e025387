using Microsoft.EntityFrameworkCore;
using Sentinel.Sessions;

namespace Sentinel.EntityFramework.Sessions;

/// <summary>
/// <see cref="ISessionStore"/> over a context that maps Sentinel. Spending a refresh token and revoking a session
/// are single conditional UPDATE statements, so concurrent callers cannot both win (SECURITY T9).
/// </summary>
/// <typeparam name="TContext">The context.</typeparam>
public sealed class EntityFrameworkSessionStore<TContext>(TContext context) : ISessionStore where TContext : DbContext
{
    private DbSet<SentinelSession> Sessions => context.Set<SentinelSession>();

    private DbSet<RefreshTokenRecord> Tokens => context.Set<RefreshTokenRecord>();

    /// <inheritdoc />
    public async ValueTask CreateAsync(SentinelSession session, RefreshTokenRecord firstToken, CancellationToken cancellationToken) =>
        await context.AddAndSaveAsync<object>(cancellationToken, session, firstToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<SentinelSession?> FindAsync(Guid sessionId, CancellationToken cancellationToken) =>
        await Sessions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == sessionId, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<SentinelSession>> ListActiveAsync(Guid userId, DateTimeOffset now, CancellationToken cancellationToken) =>
        await Sessions.AsNoTracking()
            .Where(s => s.UserId == userId && s.RevokedAt == null && s.ExpiresAt > now)
            .OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id)
            .ToListAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<RefreshTokenRecord?> FindRefreshTokenAsync(string hash, CancellationToken cancellationToken)
    {
        var token = await Tokens.AsNoTracking().FirstOrDefaultAsync(t => t.Hash == hash, cancellationToken).ConfigureAwait(false);
        return token is not null && string.Equals(token.Hash, hash, StringComparison.Ordinal) ? token : null;
    }

    /// <inheritdoc />
    public async ValueTask<bool> TrySpendRefreshTokenAsync(string hash, DateTimeOffset now, CancellationToken cancellationToken) =>
        await Tokens.Where(t => t.Hash == hash && t.SpentAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.SpentAt, now), cancellationToken).ConfigureAwait(false) == 1;

    /// <inheritdoc />
    public async ValueTask AddRefreshTokenAsync(RefreshTokenRecord token, DateTimeOffset lastUsedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        await context.AddAndSaveAsync(cancellationToken, token).ConfigureAwait(false);

        await Sessions.Where(s => s.Id == token.SessionId)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.LastUsedAt, lastUsedAt), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> ReauthenticateAsync(
        Guid sessionId, DateTimeOffset authenticatedAt, IReadOnlyList<string> authenticationMethods, RefreshTokenRecord nextToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(authenticationMethods);
        ArgumentNullException.ThrowIfNull(nextToken);
        var methods = authenticationMethods.ToList();
        var transaction = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            // Conditional on the session being live, in the same transaction as the token chain's change.
            var updated = await Sessions.Where(s => s.Id == sessionId && s.RevokedAt == null)
                .ExecuteUpdateAsync(
                    u => u.SetProperty(s => s.AuthenticatedAt, authenticatedAt)
                        .SetProperty(s => s.AuthenticationMethods, methods)
                        .SetProperty(s => s.LastUsedAt, authenticatedAt),
                    cancellationToken).ConfigureAwait(false);
            if (updated != 1)
            {
                return false;
            }

            await Tokens.Where(t => t.SessionId == sessionId && t.SpentAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(t => t.SpentAt, authenticatedAt), cancellationToken).ConfigureAwait(false);
            await context.AddAndSaveAsync(cancellationToken, nextToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> RevokeAsync(Guid sessionId, DateTimeOffset now, string reason, CancellationToken cancellationToken) =>
        await Sessions.Where(s => s.Id == sessionId && s.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now).SetProperty(s => s.RevokedReason, reason), cancellationToken)
            .ConfigureAwait(false) == 1;

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<Guid>> RevokeAllAsync(Guid userId, Guid? exceptSessionId, DateTimeOffset now, string reason, CancellationToken cancellationToken)
    {
        var ids = await Sessions.AsNoTracking()
            .Where(s => s.UserId == userId && s.RevokedAt == null && s.Id != exceptSessionId)
            .Select(s => s.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (ids.Count == 0)
        {
            return ids;
        }

        await Sessions.Where(s => ids.Contains(s.Id) && s.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now).SetProperty(s => s.RevokedReason, reason), cancellationToken)
            .ConfigureAwait(false);
        return ids;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RevokedSession>> ListRevokedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        // Projected straight into the result (one list, not two): a start with a million revocations reads them all.
        return await Sessions.AsNoTracking().Where(s => s.RevokedAt > since)
            .Select(s => new RevokedSession(s.Id, s.UserId, s.RevokedAt!.Value)).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<int> DeleteExpiredAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var tokens = await Tokens.Where(t => t.ExpiresAt < before).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        var sessions = await Sessions.Where(s => s.ExpiresAt < before).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        return tokens + sessions;
    }
}
