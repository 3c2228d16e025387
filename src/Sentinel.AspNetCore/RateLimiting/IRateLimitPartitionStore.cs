using System.Threading.RateLimiting;
using Sentinel.RateLimiting;

namespace Sentinel.AspNetCore.RateLimiting;

/// <summary>
/// Where the counters of Sentinel's rate limits live. The default keeps them in this process
/// (<see cref="FixedWindowRateLimiter"/> per partition); a shared implementation (for example over Redis) makes
/// the limits hold across several instances. Register one with <c>services.AddSingleton&lt;IRateLimitPartitionStore, …&gt;()</c>.
/// </summary>
public interface IRateLimitPartitionStore
{
    /// <summary>The limiter for one partition: <paramref name="policy"/> and the client's address key, under <paramref name="rule"/>.</summary>
    RateLimiter Create(string policy, string partitionKey, RateLimitRule rule);
}

/// <summary>In-process fixed windows, one per policy and client address (ASP.NET Core keeps and evicts them).</summary>
internal sealed class InMemoryRateLimitPartitionStore : IRateLimitPartitionStore
{
    public RateLimiter Create(string policy, string partitionKey, RateLimitRule rule) => Local(rule);

    /// <summary>One partition's window in this process; also what a shared store counts with while it cannot share.</summary>
    public static FixedWindowRateLimiter Local(RateLimitRule rule) => new(new FixedWindowRateLimiterOptions
    {
        PermitLimit = rule.PermitLimit,
        Window = rule.Window,
        QueueLimit = 0,
    });
}
