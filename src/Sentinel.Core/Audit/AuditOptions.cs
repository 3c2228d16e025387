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

    /// <summary>
    /// The window over which refusals anyone can cause (<c>apikey.rejected</c>, <c>rate_limit.exceeded</c>) are
    /// aggregated per client network and reason into one event with a <c>count</c> (SECURITY A5; default 1 minute).
    /// </summary>
    public TimeSpan RefusalWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The role whose members may read everyone's events and verify the chain (default <c>admin</c>).</summary>
    public string AdminRole { get; set; } = "admin";

    /// <summary>The page size when a query names none (default 50; at most <see cref="MaxPageSize"/>).</summary>
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>The largest page a query may ask for (500, as the HTTP contract says).</summary>
    public const int MaxPageSize = 500;

    /// <summary>Adds what is wrong with these settings to <paramref name="result"/>, each with its configuration key and how to fix it.</summary>
    internal void Validate(Microsoft.Extensions.Options.ValidateOptionsResultBuilder result)
    {
        var a = this;
        if (a.QueueCapacity < 100)
        {
            result.AddError("must be at least 100 (default 100000): a full queue makes requests wait.", "Sentinel:Audit:QueueCapacity");
        }

        if (a.RefusalWindow < TimeSpan.FromSeconds(1) || a.RefusalWindow > TimeSpan.FromHours(1))
        {
            result.AddError("must be between 00:00:01 and 01:00:00 (default 00:01:00).", "Sentinel:Audit:RefusalWindow");
        }

        if (a.BatchSize < 1 || a.BatchSize > 10_000)
        {
            result.AddError("must be between 1 and 10000 (default 500).", "Sentinel:Audit:BatchSize");
        }

        if (a.EnqueueTimeout < TimeSpan.Zero)
        {
            result.AddError("must be zero or positive (default 00:00:02).", "Sentinel:Audit:EnqueueTimeout");
        }

        if (a.RetryDelay <= TimeSpan.Zero || a.MaxRetryDelay < a.RetryDelay)
        {
            result.AddError("RetryDelay must be positive and MaxRetryDelay not below it (defaults 00:00:00.2 and 00:00:30).", "Sentinel:Audit:RetryDelay");
        }

        if (a.Retention is { } retention && retention < TimeSpan.FromDays(1))
        {
            result.AddError("must be at least 1.00:00:00, or null to keep events forever (default 365.00:00:00).", "Sentinel:Audit:Retention");
        }

        if (string.IsNullOrWhiteSpace(a.AdminRole))
        {
            result.AddError("must name a role (default admin).", "Sentinel:Audit:AdminRole");
        }

        if (a.DefaultPageSize < 1 || a.DefaultPageSize > Audit.AuditOptions.MaxPageSize)
        {
            result.AddError("must be between 1 and 500 (default 50).", "Sentinel:Audit:DefaultPageSize");
        }    }
}
