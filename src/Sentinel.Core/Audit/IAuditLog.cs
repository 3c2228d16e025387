namespace Sentinel.Audit;

/// <summary>
/// Where services record security decisions. Implementations must be cheap on the request path (an enqueue,
/// not a database round trip) and must not lose events silently. The default is <see cref="AuditWriter"/>.
/// </summary>
public interface IAuditLog
{
    /// <summary>Records one event.</summary>
    ValueTask WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken);

    /// <summary>Returns when every event recorded before the call is stored (or was given up and reported).</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
