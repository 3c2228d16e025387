using Microsoft.Extensions.Options;
using Sentinel.Audit;

namespace Sentinel.Email;

/// <summary>
/// Turns recorded security events into email, as an audit observer: a registration queues its confirmation email,
/// and a change the owner should hear of (a new password, two-factor on or off, a new or rotated API key, a reused
/// refresh token) queues a security notice, which the event then records (<c>notice: queued</c>; queued, not
/// delivered: a failed send is log event 1503).
/// </summary>
public sealed class SecurityNotices : IAuditObserver
{
    private static readonly HashSet<string> NoticeTypes = new(StringComparer.Ordinal)
    {
        AuditEventTypes.PasswordChanged, AuditEventTypes.PasswordReset, AuditEventTypes.MfaEnabled, AuditEventTypes.MfaDisabled,
        AuditEventTypes.ApiKeyCreated, AuditEventTypes.ApiKeyRotated, AuditEventTypes.TokenReuseDetected, // a rotation mints a new secret too
    };

    private static readonly KeyValuePair<string, string> Queued = new("notice", "queued");

    private readonly EmailSendQueue _queue;
    private readonly bool _sendNotices;

    /// <summary>Creates the observer; normally resolved from DI.</summary>
    public SecurityNotices(EmailSendQueue queue, IOptions<SentinelOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _queue = queue;
        _sendNotices = options.Value.Email.SendSecurityNotices;
    }

    /// <inheritdoc />
    public KeyValuePair<string, string>? OnRecording(AuditEvent auditEvent)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        if (!_queue.HasSender || auditEvent.UserId is not { } userId)
        {
            return null;
        }

        if (auditEvent.Type == AuditEventTypes.UserRegistered)
        {
            _queue.Enqueue(new EmailWork(EmailWorkKind.Confirmation, null, userId, null, ClientOf(auditEvent), auditEvent.Timestamp));
            return null;
        }

        return _sendNotices && NoticeTypes.Contains(auditEvent.Type)
            && _queue.Enqueue(new EmailWork(EmailWorkKind.Notice, null, userId, auditEvent.Type, ClientOf(auditEvent), auditEvent.Timestamp))
            ? Queued
            : null;
    }

    private static ClientInfo ClientOf(AuditEvent auditEvent) => new(auditEvent.IpAddress, auditEvent.UserAgent);
}
