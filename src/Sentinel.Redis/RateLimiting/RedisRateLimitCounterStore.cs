using Microsoft.Extensions.Options;
using Sentinel.RateLimiting;
using Sentinel.Redis.Cluster;
using StackExchange.Redis;

namespace Sentinel.Redis.RateLimiting;

/// <summary>
/// Sentinel's per-key request budgets and per-mailbox email counts kept in Redis, so that a key or a mailbox spread
/// over N instances gets its budget once, not N times. While Redis is unreachable (or for a few seconds after a
/// command failed) it reports itself unavailable, and each instance counts in its own memory.
/// </summary>
internal sealed class RedisRateLimitCounterStore(SentinelRedisConnection redis, IOptions<SentinelRedisOptions> options) : IRateLimitCounterStore
{
    public bool IsAvailable => options.Value.ShareRateLimits && redis.Usable is not null;

    public async ValueTask<TimeSpan?> TryAcquireAsync(string key, int permitLimit, TimeSpan window, CancellationToken cancellationToken)
    {
        if (redis.Usable is not { } multiplexer)
        {
            return null; // became unavailable since IsAvailable was read: one request is not counted
        }

        try
        {
            return await RedisWindowCounter.TakeAsync(multiplexer.GetDatabase(), (RedisKey)$"{options.Value.Prefix}:rlc:{key}", 1, permitLimit, window).ConfigureAwait(false);
        }
        catch (Exception e) when (SentinelRedisConnection.IsRedisFailure(e))
        {
            // Redis went away or stalled mid-request: this request is not counted, and the next ones are counted in
            // this process until Redis answers again.
            redis.ReportFailure();
            return null;
        }
    }
}
