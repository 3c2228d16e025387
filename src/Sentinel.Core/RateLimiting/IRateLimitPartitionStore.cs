using System.Threading.RateLimiting;

namespace Sentinel.RateLimiting;

/// <summary>
/// Where the counters of Sentinel's per-address rate limits live. The default keeps them in this process
/// (<see cref="FixedWindowRateLimiter"/> per partition); a shared implementation (Sentinel.Redis's) makes the limits
/// hold across several instances. Register one with <c>services.AddSingleton&lt;IRateLimitPartitionStore, …&gt;()</c>.
/// </summary>
public interface IRateLimitPartitionStore
{
    /// <summary>The limiter for one partition: <paramref name="policy"/> and the client's address key, under <paramref name="rule"/>.</summary>
    RateLimiter Create(string policy, string partitionKey, RateLimitRule rule);
}

/// <summary>In-process fixed windows, one per policy and client address (ASP.NET Core keeps and evicts them).</summary>
public sealed class InMemoryRateLimitPartitionStore : IRateLimitPartitionStore
{
    /// <inheritdoc />
    public RateLimiter Create(string policy, string partitionKey, RateLimitRule rule) => new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
    {
        PermitLimit = rule?.PermitLimit ?? throw new ArgumentNullException(nameof(rule)),
        Window = rule.Window,
        QueueLimit = 0,
    });
}
