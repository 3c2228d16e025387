using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sentinel.Audit;
using Sentinel.Passwords;
using Sentinel.Sessions;
using Sentinel.SignIn;
using Sentinel.Storage;
using Sentinel.Users;

namespace Sentinel.Email;

/// <summary>
/// Email confirmation and password reset with single-use, hashed, expiring tokens.
/// Requests by address go through <see cref="EmailSendQueue"/>, so an unknown address is indistinguishable from a
/// known one; a reset sets the password, unlocks the account and revokes every session, and never turns MFA off.
/// </summary>
public sealed partial class AccountRecoveryService
{
    private readonly IUserStore _users;
    private readonly IOneTimeTokenStore _tokens;
    private readonly PasswordPolicy _policy;
    private readonly IPasswordHasher _hasher;
    private readonly SessionService _sessions;
    private readonly RevocationList _revocations;
    private readonly AuditRecorder _audit;
    private readonly EmailSendQueue _queue;
    private readonly EmailOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the service.</summary>
    internal AccountRecoveryService(
        IUserStore users, IOneTimeTokenStore tokens, PasswordPolicy policy, IPasswordHasher hasher,
        SessionService sessions, RevocationList revocations, AuditRecorder audit, EmailSendQueue queue,
        IOptions<SentinelOptions> options, TimeProvider time,
        ILogger<AccountRecoveryService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _users = users;
        _tokens = tokens;
        _policy = policy;
        _hasher = hasher;
        _sessions = sessions;
        _revocations = revocations;
        _audit = audit;
        _queue = queue;
        _options = options.Value.Email;
        _time = time;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>
    /// "Forgot password": queues a reset email if the address has an account. Same answer, same time, either way;
    /// <see cref="SentinelErrorCode.ServiceUnavailable"/> only when the send queue is full (whatever the address).
    /// </summary>
    public SentinelResult RequestPasswordReset(string email, ClientInfo? client = null) => _queue.RequestPasswordReset(email, client);

    /// <summary>"Resend confirmation": queues a confirmation email if the address has an unconfirmed account; fails as <see cref="RequestPasswordReset"/> does.</summary>
    public SentinelResult RequestEmailConfirmation(string email, ClientInfo? client = null) => _queue.RequestConfirmation(email, client);

    /// <summary>Confirms the address of the token's user. Fails with <see cref="SentinelErrorCode.InvalidToken"/> (unknown, used or expired).</summary>
    public async Task<SentinelResult> ConfirmEmailAsync(string? token, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var record = await FindUsableAsync(token, OneTimeTokenPurpose.EmailConfirmation, cancellationToken).ConfigureAwait(false);
        if (record is null || !await _tokens.SpendAsync(record.Id, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            return SentinelResult.Failure(InvalidToken());
        }

        var updated = await _users.UpdateUserAsync(record.UserId, fresh =>
        {
            fresh.EmailConfirmed = true;
            fresh.UpdatedAt = _time.GetUtcNow();
            return null;
        }, _logger, cancellationToken).ConfigureAwait(false);
        if (!updated.Succeeded)
        {
            return SentinelResult.Failure(InvalidToken());
        }

        await _audit.RecordAsync(AuditEventTypes.EmailConfirmed, AuditOutcome.Success, record.UserId, client, cancellationToken).ConfigureAwait(false);
        return SentinelResult.Success();
    }

    /// <summary>
    /// Sets a new password with a reset token: applies the password policy (a refused password leaves the token
    /// usable), revokes every session at once, unlocks the account and confirms the address. MFA stays as it was.
    /// Fails with <see cref="SentinelErrorCode.InvalidToken"/> or <see cref="SentinelErrorCode.ValidationFailed"/>
    /// (errors keyed <c>newPassword</c>).
    /// </summary>
    public async Task<SentinelResult> ResetPasswordAsync(string? token, string? newPassword, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var record = await FindUsableAsync(token, OneTimeTokenPurpose.PasswordReset, cancellationToken).ConfigureAwait(false);
        var user = record is null ? null : await _users.FindByIdAsync(record.UserId, cancellationToken).ConfigureAwait(false);
        // T12: a link issued before a password change, a logout everywhere or a disable no longer works.
        if (record is null || user is null || user.IsDisabled || !string.Equals(record.SecurityStamp, user.SecurityStamp, StringComparison.Ordinal))
        {
            return SentinelResult.Failure(InvalidToken());
        }

        var reasons = _policy.Validate(newPassword, user.Email);
        if (reasons.Count > 0)
        {
            return SentinelResult.Failure(SentinelError.Validation("newPassword", [.. reasons]));
        }

        if (!await _tokens.SpendAsync(record.Id, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            return SentinelResult.Failure(InvalidToken()); // spent by a concurrent reset
        }

        var newHash = _hasher.Hash(newPassword!);
        var now = _time.GetUtcNow();
        // Whole seconds, as token iat is: tokens issued from this second on (after the reset) pass.
        var validAfter = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var updated = await _users.UpdateUserAsync(user.Id, fresh =>
        {
            fresh.PasswordHash = newHash;
            fresh.SecurityStamp = SecurityStamps.New();
            AccountLockout.Reset(fresh);
            fresh.EmailConfirmed = true; // the reset link reached the mailbox
            fresh.SecurityValidAfter = validAfter > fresh.SecurityValidAfter ? validAfter : fresh.SecurityValidAfter;
            fresh.UpdatedAt = now;
            return null;
        }, _logger, cancellationToken).ConfigureAwait(false);
        if (!updated.TryGetValue(out var fresh))
        {
            return updated;
        }

        _revocations.RevokeUserTokensBefore(user.Id, fresh.SecurityValidAfter);
        await _sessions.RevokeAllAsync(user.Id, null, "password_reset", cancellationToken).ConfigureAwait(false);
        await _tokens.RevokeAllAsync(user.Id, OneTimeTokenPurpose.PasswordReset, now, cancellationToken).ConfigureAwait(false);
        PasswordWasReset(_logger, user.Id);
        await _audit.RecordAsync(AuditEventTypes.PasswordReset, AuditOutcome.Success, user.Id, client, cancellationToken).ConfigureAwait(false);
        return SentinelResult.Success();
    }

    private async Task<OneTimeTokenRecord?> FindUsableAsync(string? token, OneTimeTokenPurpose purpose, CancellationToken cancellationToken)
    {
        if (token is not { Length: 43 } || !Base64Url.IsValid(token))
        {
            return null;
        }

        var record = await _tokens.FindAsync(HashOf(token), purpose, cancellationToken).ConfigureAwait(false);
        return record is { UsedAt: null } && record.ExpiresAt > _time.GetUtcNow() ? record : null;
    }

    internal static string HashOf(string token) => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(token)));

    private static SentinelError InvalidToken() =>
        new(SentinelErrorCode.InvalidToken, "The link is not valid: it is unknown, was used or replaced by a newer one, or has expired. Ask for a new one.");

    [LoggerMessage(1511, LogLevel.Information, "The password of user {UserId} was reset with an emailed token; every session was revoked.")]
    private static partial void PasswordWasReset(ILogger logger, Guid userId);
}
