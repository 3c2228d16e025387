using Sentinel.Storage;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sentinel.Audit;
using Sentinel.Diagnostics;
using Sentinel.Tokens;
using Sentinel.Users;

namespace Sentinel.Sessions;

/// <summary>
/// Sessions and their tokens: sign-in creates a session and its first token pair; a refresh spends the presented
/// refresh token once and issues the next; a spent token presented again revokes the session (RFC 9700);
/// logout, logout-all and revoking a session take effect on the next request (SECURITY T7, T8, T9).
/// </summary>
public sealed class SessionService
{
    private const int RefreshTokenBytes = 32; // 256 random bits (SECURITY T7)
    private const int RefreshTokenLength = 43; // base64url of 32 bytes, no padding

    private readonly ISessionStore _store;
    private readonly IUserStore _users;
    private readonly AccessTokenService _accessTokens;
    private readonly RevocationList _revocations;
    private readonly AuditRecorder _audit;
    private readonly TokenOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the service; normally resolved from DI.</summary>
    internal SessionService(
        ISessionStore store,
        IUserStore users,
        AccessTokenService accessTokens,
        RevocationList revocations,
        AuditRecorder audit,
        IOptions<SentinelOptions> options,
        TimeProvider time,
        ILogger<SessionService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _users = users;
        _accessTokens = accessTokens;
        _revocations = revocations;
        _audit = audit;
        _options = options.Value.Tokens;
        _time = time;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Starts a session for a user who has just authenticated and issues its first token pair.</summary>
    /// <param name="user">The authenticated user.</param>
    /// <param name="authenticationMethods">The <c>amr</c> values, for example <c>["pwd"]</c>.</param>
    /// <param name="client">The client's address and user agent, stored on the session.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    public async Task<TokenPair> StartAsync(
        SentinelUser user, IReadOnlyList<string> authenticationMethods, ClientInfo? client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var now = _time.GetUtcNow();
        var session = new SentinelSession
        {
            Id = Guid.CreateVersion7(now),
            UserId = user.Id,
            CreatedAt = now,
            LastUsedAt = now,
            ExpiresAt = now + _options.SessionAbsoluteLifetime,
            IpAddress = AuditRecorder.Limit(client?.IpAddress),
            UserAgent = AuditRecorder.Limit(client?.UserAgent),
            AuthenticationMethods = [.. authenticationMethods],
            AuthenticatedAt = now,
        };
        var (refreshToken, record) = NewRefreshToken(session, now);
        await _store.CreateAsync(session, record, cancellationToken).ConfigureAwait(false);
        var access = await _accessTokens.IssueAsync(user, session.Id, authenticationMethods, session.AuthenticatedAt, cancellationToken).ConfigureAwait(false);
        return new TokenPair(access.Token, access.Lifetime, refreshToken, session.Id);
    }

    /// <summary>
    /// Records that the user of <paramref name="sessionId"/> has just proved a credential again (SECURITY T11): the
    /// session's <c>auth_time</c> and <c>amr</c> become now and <paramref name="authenticationMethods"/>, its live
    /// refresh token is replaced by the one returned (a replay of the old one is reuse), and the pair is issued for
    /// the same session. Fails with <see cref="SentinelErrorCode.InvalidCredentials"/> when the session is not the
    /// user's or has ended.
    /// </summary>
    internal async Task<SentinelResult<TokenPair>> ReauthenticateAsync(
        SentinelUser user, Guid sessionId, IReadOnlyList<string> authenticationMethods, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var session = await _store.FindAsync(sessionId, cancellationToken).ConfigureAwait(false);
        if (session is null || session.UserId != user.Id || !session.IsActive(now))
        {
            return SessionEnded;
        }

        var (refreshToken, record) = NewRefreshToken(session, now);
        if (!await _store.ReauthenticateAsync(sessionId, now, authenticationMethods, record, cancellationToken).ConfigureAwait(false))
        {
            return SessionEnded;
        }

        var access = await _accessTokens.IssueAsync(user, sessionId, authenticationMethods, now, cancellationToken).ConfigureAwait(false);
        return SentinelResult.Success(new TokenPair(access.Token, access.Lifetime, refreshToken, sessionId));
    }

    /// <summary>
    /// Spends a refresh token and issues the next pair. Unknown, expired, revoked and reused tokens all give
    /// <see cref="SentinelErrorCode.InvalidRefreshToken"/>; reuse also revokes the whole session.
    /// </summary>
    public async Task<SentinelResult<TokenPair>> RefreshAsync(string? refreshToken, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        if (refreshToken is not { Length: RefreshTokenLength } || !Base64Url.IsValid(refreshToken))
        {
            return await FailAsync(null, null, "malformed").ConfigureAwait(false);
        }

        var hash = Hash(refreshToken);
        var record = await _store.FindRefreshTokenAsync(hash, cancellationToken).ConfigureAwait(false);
        // Re-compare ordinally: a database collation may match case-insensitively.
        if (record is null || !string.Equals(record.Hash, hash, StringComparison.Ordinal))
        {
            return await FailAsync(null, null, "unknown").ConfigureAwait(false);
        }

        var now = _time.GetUtcNow();
        var session = await _store.FindAsync(record.SessionId, cancellationToken).ConfigureAwait(false);
        if (session is null || !session.IsActive(now))
        {
            return await FailAsync(record.UserId, record.SessionId, session?.RevokedAt is null ? "session_expired" : "session_revoked").ConfigureAwait(false);
        }

        if (record.SpentAt is { } spentAt)
        {
            return await ReuseAsync(record, spentAt, now).ConfigureAwait(false);
        }

        if (now >= record.ExpiresAt)
        {
            return await FailAsync(record.UserId, record.SessionId, "expired").ConfigureAwait(false);
        }

        // The atomic spend: of two concurrent refreshes with one token exactly one gets here (SECURITY T9).
        if (!await _store.TrySpendRefreshTokenAsync(hash, now, cancellationToken).ConfigureAwait(false))
        {
            return await ReuseAsync(record, now, now).ConfigureAwait(false);
        }

        var user = await _users.FindByIdAsync(record.UserId, cancellationToken).ConfigureAwait(false);
        if (user is null || user.IsDisabled || record.IssuedAt < user.SecurityValidAfter)
        {
            await RevokeAsync(session.Id, session.UserId, now, "user_invalidated", cancellationToken).ConfigureAwait(false);
            return await FailAsync(record.UserId, record.SessionId, "user_invalidated").ConfigureAwait(false);
        }

        var (next, nextRecord) = NewRefreshToken(session, now);
        await _store.AddRefreshTokenAsync(nextRecord, now, cancellationToken).ConfigureAwait(false);
        // A refresh proves no credential: auth_time stays when the session last did (SECURITY T11).
        var access = await _accessTokens.IssueAsync(user, session.Id, session.AuthenticationMethods, session.AuthenticatedAt, cancellationToken).ConfigureAwait(false);
        await _audit.RecordAsync(AuditEventTypes.TokenRefreshed, AuditOutcome.Success, user.Id, client, cancellationToken, sessionId: session.Id).ConfigureAwait(false);
        return SentinelResult.Success(new TokenPair(access.Token, access.Lifetime, next, session.Id));

        async Task<SentinelResult<TokenPair>> FailAsync(Guid? userId, Guid? sessionId, string reason)
        {
            await _audit.RecordAsync(AuditEventTypes.TokenRefreshed, AuditOutcome.Failure, userId, client, cancellationToken, reason, sessionId).ConfigureAwait(false);
            return InvalidRefreshToken();
        }

        async Task<SentinelResult<TokenPair>> ReuseAsync(RefreshTokenRecord spent, DateTimeOffset spentAt, DateTimeOffset now)
        {
            if (_options.RefreshTokenReuseLeeway > TimeSpan.Zero && now - spentAt <= _options.RefreshTokenReuseLeeway)
            {
                return await FailAsync(spent.UserId, spent.SessionId, "reuse_within_leeway").ConfigureAwait(false);
            }

            Log.RefreshTokenReuse(_logger, spent.SessionId, spent.UserId);
            await RevokeAsync(spent.SessionId, spent.UserId, now, "reuse_detected", cancellationToken).ConfigureAwait(false);
            await _audit.RecordAsync(AuditEventTypes.TokenReuseDetected, AuditOutcome.Failure, spent.UserId, client, cancellationToken, sessionId: spent.SessionId).ConfigureAwait(false);
            return InvalidRefreshToken();
        }
    }

    /// <summary>The user's active sessions, newest first.</summary>
    public async Task<IReadOnlyList<SentinelSession>> ListAsync(Guid userId, CancellationToken cancellationToken = default) =>
        await _store.ListActiveAsync(userId, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Revokes one of the user's sessions (logout, or "sign out that device"). Another user's session, or an
    /// unknown one, is <see cref="SentinelErrorCode.NotFound"/>.
    /// </summary>
    public async Task<SentinelResult> RevokeSessionAsync(
        Guid userId, Guid sessionId, string auditType, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var session = await _store.FindAsync(sessionId, cancellationToken).ConfigureAwait(false);
        if (session is null || session.UserId != userId)
        {
            return SentinelResult.Failure(new SentinelError(SentinelErrorCode.NotFound, "No such session."));
        }

        var now = _time.GetUtcNow();
        var reason = auditType == AuditEventTypes.Logout ? "logout" : "revoked";
        await RevokeAsync(sessionId, userId, now, reason, cancellationToken).ConfigureAwait(false);
        await _audit.RecordAsync(auditType, AuditOutcome.Success, userId, client, cancellationToken, sessionId: sessionId).ConfigureAwait(false);
        return SentinelResult.Success();
    }

    /// <summary>
    /// Logs the user out everywhere: the account's security stamp changes first, so an MFA challenge, a reset link or
    /// a sign-in begun before cannot complete afterwards (SECURITY T12), then every session is revoked. Returns how
    /// many sessions this call revoked.
    /// </summary>
    public async Task<int> RevokeEverywhereAsync(Guid userId, string reason, CancellationToken cancellationToken = default)
    {
        await _users.UpdateUserAsync(userId, fresh =>
        {
            fresh.SecurityStamp = SecurityStamps.New();
            return null;
        }, _logger, cancellationToken).ConfigureAwait(false);
        return await RevokeAllAsync(userId, null, reason, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Revokes every session of the user (but <paramref name="exceptSessionId"/>); see <see cref="RevokeEverywhereAsync"/> to end what was begun as well.</summary>
    public async Task<int> RevokeAllAsync(
        Guid userId, Guid? exceptSessionId, string reason, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var revoked = await _store.RevokeAllAsync(userId, exceptSessionId, now, reason, cancellationToken).ConfigureAwait(false);
        foreach (var id in revoked)
        {
            _revocations.RevokeSession(id, now);
            Log.SessionRevoked(_logger, id, userId, reason);
        }

        // Only the sessions this call revoked are counted and published; ones revoked earlier (perhaps by another
        // instance) reached this one through that instance's message or the periodic read of the store.
        return revoked.Count;
    }

    private async Task RevokeAsync(Guid sessionId, Guid userId, DateTimeOffset now, string reason, CancellationToken cancellationToken)
    {
        await _store.RevokeAsync(sessionId, now, reason, cancellationToken).ConfigureAwait(false);
        _revocations.RevokeSession(sessionId, now);
        Log.SessionRevoked(_logger, sessionId, userId, reason);
    }

    private (string Token, RefreshTokenRecord Record) NewRefreshToken(SentinelSession session, DateTimeOffset now)
    {
        Span<byte> bytes = stackalloc byte[RefreshTokenBytes];
        RandomNumberGenerator.Fill(bytes);
        var token = Base64Url.EncodeToString(bytes);
        var idleEnd = now + _options.SessionIdleTimeout;
        return (token, new RefreshTokenRecord
        {
            Hash = Hash(token),
            SessionId = session.Id,
            UserId = session.UserId,
            IssuedAt = now,
            ExpiresAt = idleEnd < session.ExpiresAt ? idleEnd : session.ExpiresAt,
        });
    }

    /// <summary>The store key of a refresh token: base64url SHA-256 of its string.</summary>
    internal static string Hash(string token)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.ASCII.GetBytes(token), digest);
        return Base64Url.EncodeToString(digest);
    }

    private static readonly SentinelError SessionEnded =
        new(SentinelErrorCode.InvalidCredentials, "The session has ended; sign in again.");

    private static SentinelError InvalidRefreshToken() =>
        new(SentinelErrorCode.InvalidRefreshToken, "The refresh token is not valid.");
}

/// <summary>An access token and the refresh token that renews it.</summary>
/// <param name="AccessToken">The JWT.</param>
/// <param name="ExpiresIn">The access token's lifetime.</param>
/// <param name="RefreshToken">The single-use refresh token.</param>
/// <param name="SessionId">The session both belong to.</param>
public sealed record TokenPair(string AccessToken, TimeSpan ExpiresIn, string RefreshToken, Guid SessionId);
