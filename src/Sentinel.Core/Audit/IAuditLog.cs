namespace Sentinel.Audit;

/// <summary>
/// Where services record security decisions. Implementations must be cheap on the request path (an enqueue,
/// not a database round trip) and must not lose events silently.
/// </summary>
public interface IAuditLog
{
    /// <summary>Records one event.</summary>
    ValueTask WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken);
}
