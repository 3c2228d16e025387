using System.Diagnostics;

namespace Sentinel.Audit;

/// <summary>Builds audit events with id, time, client and trace filled in, so services state only what happened.</summary>
public sealed class AuditRecorder
{
    /// <summary>Longest string kept in an audit field; longer values are cut (they are data, never interpreted).</summary>
    public const int MaxFieldLength = 512;

    private readonly IAuditLog _log;
    private readonly TimeProvider _time;

    /// <summary>Creates a recorder over <paramref name="log"/>.</summary>
    public AuditRecorder(IAuditLog log, TimeProvider time)
    {
        _log = log;
        _time = time;
    }

    /// <summary>Records an event of <paramref name="type"/>.</summary>
    public ValueTask RecordAsync(
        string type,
        AuditOutcome outcome,
        Guid? userId,
        ClientInfo? client,
        CancellationToken cancellationToken,
        string? reason = null,
        Guid? sessionId = null,
        Guid? apiKeyId = null,
        IReadOnlyDictionary<string, string>? details = null)
    {
        var now = _time.GetUtcNow();
        var auditEvent = new AuditEvent
        {
            Id = Guid.CreateVersion7(now),
            Timestamp = now,
            Type = type,
            Outcome = outcome,
            UserId = userId,
            SessionId = sessionId,
            ApiKeyId = apiKeyId,
            IpAddress = Limit(client?.IpAddress),
            UserAgent = Limit(client?.UserAgent),
            TraceId = Activity.Current?.TraceId.ToHexString(),
            Details = Details(reason, details),
        };
        return _log.WriteAsync(auditEvent, cancellationToken);
    }

    private static Dictionary<string, string> Details(string? reason, IReadOnlyDictionary<string, string>? details)
    {
        var map = details is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(details, StringComparer.Ordinal);
        if (reason is not null)
        {
            map["reason"] = reason;
        }

        return map;
    }

    private static string? Limit(string? value) => value is { Length: > MaxFieldLength } ? value[..MaxFieldLength] : value;
}
