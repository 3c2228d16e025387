using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sentinel.Audit;
using Sentinel.Users;

namespace Sentinel.Email;

/// <summary>
/// Does the send queue's work, one piece at a time, in its background loop: finds the user (by id, or by address
/// for "forgot password" and "resend confirmation", so an unknown address costs the request nothing), counts the
/// mailbox's hourly budget, issues the single-use token, and sends through the host's <see cref="ISentinelEmailSender"/>.
/// </summary>
internal sealed partial class EmailDispatcher
{
    private const int TokenBytes = 32;

    private readonly IUserStore _users;
    private readonly IOneTimeTokenStore _tokens;
    private readonly AuditRecorder _audit;
    private readonly EmailSendQueue _queue;
    private readonly ISentinelEmailSender? _sender;
    private readonly EmailOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public EmailDispatcher(
        IUserStore users, IOneTimeTokenStore tokens, AuditRecorder audit, EmailSendQueue queue, IEnumerable<ISentinelEmailSender> senders,
        IOptions<SentinelOptions> options, TimeProvider time, ILogger<EmailDispatcher>? logger = null)
    {
        _users = users;
        _tokens = tokens;
        _audit = audit;
        _queue = queue;
        _sender = senders.LastOrDefault();
        _options = options.Value.Email;
        _time = time;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Does one piece of the queue's work: look the user up, issue a token, send. Runs in the background.</summary>
    internal async Task ProcessAsync(EmailWork work, CancellationToken cancellationToken)
    {
        var user = work.UserId is { } id
            ? await _users.FindByIdAsync(id, cancellationToken).ConfigureAwait(false)
            : EmailNormalizer.Validate(work.Email?.Trim() ?? "") is null
                ? await _users.FindByNormalizedEmailAsync(EmailNormalizer.Normalize(work.Email!), cancellationToken).ConfigureAwait(false)
                : null;

        switch (work.Kind)
        {
            case EmailWorkKind.PasswordReset:
                if (user is null || user.IsDisabled)
                {
                    await _audit.RecordAsync(AuditEventTypes.PasswordResetRequested, AuditOutcome.Failure, user?.Id, work.Client, cancellationToken,
                        user is null ? "unknown_email" : "disabled").ConfigureAwait(false);
                    return;
                }

                if (!await TryCountSendAsync(user, cancellationToken).ConfigureAwait(false))
                {
                    await _audit.RecordAsync(AuditEventTypes.PasswordResetRequested, AuditOutcome.Failure, user.Id, work.Client, cancellationToken, "too_many_emails").ConfigureAwait(false);
                    return;
                }

                var reset = await IssueAsync(user, OneTimeTokenPurpose.PasswordReset, _options.PasswordResetTokenLifetime, cancellationToken).ConfigureAwait(false);
                await _audit.RecordAsync(AuditEventTypes.PasswordResetRequested, AuditOutcome.Success, user.Id, work.Client, cancellationToken).ConfigureAwait(false);
                await SendAsync(new ResetPasswordMessage(user.Email, reset, Link(_options.ResetPasswordUrl, reset)), user.Id, cancellationToken).ConfigureAwait(false);
                return;

            case EmailWorkKind.Confirmation:
                if (user is null || user.EmailConfirmed || user.IsDisabled || !await TryCountSendAsync(user, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                var confirm = await IssueAsync(user, OneTimeTokenPurpose.EmailConfirmation, _options.ConfirmationTokenLifetime, cancellationToken).ConfigureAwait(false);
                await SendAsync(new ConfirmEmailMessage(user.Email, confirm, Link(_options.ConfirmEmailUrl, confirm)), user.Id, cancellationToken).ConfigureAwait(false);
                return;

            case EmailWorkKind.Notice:
                if (user is null || !_options.SendSecurityNotices) // also checked when queued, by SecurityNotices
                {
                    return;
                }

                await SendAsync(new SecurityNoticeMessage(user.Email, work.EventType!, work.At, work.Client?.IpAddress, work.Client?.UserAgent), user.Id, cancellationToken).ConfigureAwait(false);
                return;
        }
    }

    private async Task SendAsync(SentinelEmailMessage message, Guid userId, CancellationToken cancellationToken)
    {
        if (_sender is null)
        {
            return;
        }

        await _sender.SendAsync(message, cancellationToken).ConfigureAwait(false);
        EmailSent(_logger, message is SecurityNoticeMessage notice ? "security notice (" + notice.EventType + ")" : message.GetType().Name, userId);
    }

    private ValueTask<bool> TryCountSendAsync(SentinelUser user, CancellationToken cancellationToken) =>
        _queue.TryCountSendAsync(user.NormalizedEmail, _options.MaxEmailsPerAddressPerHour, cancellationToken);

    /// <summary>Issues a token for <paramref name="purpose"/>; older unused ones of the same purpose stop working.</summary>
    private async Task<string> IssueAsync(SentinelUser user, OneTimeTokenPurpose purpose, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        await _tokens.RevokeAllAsync(user.Id, purpose, now, cancellationToken).ConfigureAwait(false);
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(TokenBytes));
        await _tokens.CreateAsync(new OneTimeTokenRecord
        {
            Id = Guid.CreateVersion7(now),
            UserId = user.Id,
            Purpose = purpose,
            Hash = AccountRecoveryService.HashOf(token),
            CreatedAt = now,
            ExpiresAt = now + lifetime,
            SecurityStamp = user.SecurityStamp,
        }, cancellationToken).ConfigureAwait(false);
        return token;
    }

    private static string? Link(string? template, string token) =>
        template?.Replace("{token}", Uri.EscapeDataString(token), StringComparison.Ordinal);

    // The user id and the kind of message only: never the address's token or link (SECURITY A2).
    [LoggerMessage(1512, LogLevel.Information, "Sent a {MessageType} email to user {UserId}.")]
    private static partial void EmailSent(ILogger logger, string messageType, Guid userId);
}
