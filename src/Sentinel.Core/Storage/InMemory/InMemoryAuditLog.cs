using Sentinel.Audit;

namespace Sentinel.Storage.InMemory;

/// <summary>
/// A synchronous <see cref="IAuditLog"/> that keeps the newest events in memory (default 10,000), for unit tests
/// that check which events a service records. Hosts use the default <see cref="AuditWriter"/>, which chains and
/// stores events through <see cref="IAuditStore"/>.
/// </summary>
public sealed class InMemoryAuditLog : IAuditLog
{
    private readonly Lock _gate = new();
    private readonly Queue<AuditEvent> _events = new();
    private readonly int _capacity;

    /// <summary>Creates a log that keeps at most <paramref name="capacity"/> events.</summary>
    public InMemoryAuditLog(int capacity = 10_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        lock (_gate)
        {
            if (_events.Count == _capacity)
            {
                _events.Dequeue();
            }

            _events.Enqueue(auditEvent);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>A snapshot of the kept events, oldest first.</summary>
    public IReadOnlyList<AuditEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }
}
