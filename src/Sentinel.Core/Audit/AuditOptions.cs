namespace Sentinel.Audit;

/// <summary>How audit events are queued, written, kept and read.</summary>
public sealed class AuditOptions
{
    /// <summary>
    /// Events held in memory waiting for the store (default 100,000, about 30 MB at worst). When it is full,
    /// callers wait up to <see cref="EnqueueTimeout"/> for room instead of losing events.
    /// </summary>
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>How long a caller waits for room in a full queue before the event is given up, with a log line and the <c>sentinel.audit.dropped</c> metric (default 2 s).</summary>
    public TimeSpan EnqueueTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most events written in one batch (one transaction; default 500, which reaches well over 20,000 events per second on SQLite).</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>The first wait before retrying a failed write; it doubles up to <see cref="MaxRetryDelay"/> (default 200 ms).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest wait between retries while the store is down (default 30 s).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long events are kept; older ones are pruned and the chain's anchor moves past them so the rest still
    /// verifies. <c>null</c> keeps events forever (default 365 days).
    /// </summary>
    public TimeSpan? Retention { get; set; } = TimeSpan.FromDays(365);

    /// <summary>The role whose members may read everyone's events and verify the chain (default <c>admin</c>).</summary>
    public string AdminRole { get; set; } = "admin";

    /// <summary>The page size when a query names none (default 50; at most <see cref="MaxPageSize"/>).</summary>
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>The largest page a query may ask for (500, as the HTTP contract says).</summary>
    public const int MaxPageSize = 500;
}
