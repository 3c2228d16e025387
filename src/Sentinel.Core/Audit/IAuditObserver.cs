namespace Sentinel.Audit;

/// <summary>
/// Sees every security event as it is recorded, before it is queued for the store: Sentinel's security notices are
/// one (<see cref="Email.SecurityNotices"/>); a host can add its own, a webhook or a SIEM feed
/// (<c>services.AddSingleton&lt;IAuditObserver, MyObserver&gt;()</c>). It runs on the path of the decision it
/// observes: return at once (queue any slow work) and do not throw; a failure is logged and the event is still recorded.
/// </summary>
public interface IAuditObserver
{
    /// <summary>
    /// Observes <paramref name="auditEvent"/>. Returns one entry to add to the event's details (for example that a
    /// notice was queued, so the record says so), or null. The entry is part of the stored, hash-chained event.
    /// </summary>
    KeyValuePair<string, string>? OnRecording(AuditEvent auditEvent);
}
