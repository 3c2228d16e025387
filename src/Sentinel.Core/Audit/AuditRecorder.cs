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

    private static readonly IReadOnlyDictionary<string, string> NoDetails = new Dictionary<string, string>();
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> ReasonOnly = new(StringComparer.Ordinal);

    private static IReadOnlyDictionary<string, string> Details(string? reason, IReadOnlyDictionary<string, string>? details)
    {
        if (details is null)
        {
            // Reasons come from closed sets: share one read-only map per reason instead of allocating per event.
            return reason is null ? NoDetails : ReasonOnly.GetOrAdd(reason, static r => new Dictionary<string, string>(StringComparer.Ordinal) { ["reason"] = r });
        }

        var map = new Dictionary<string, string>(details, StringComparer.Ordinal);
        if (reason is not null)
        {
            map["reason"] = reason;
        }

        return map;
    }

    /// <summary>Cuts a client-supplied string to <see cref="MaxFieldLength"/>; stored as data, never interpreted.</summary>
    internal static string? Limit(string? value) => value is { Length: > MaxFieldLength } ? value[..MaxFieldLength] : value;
}
