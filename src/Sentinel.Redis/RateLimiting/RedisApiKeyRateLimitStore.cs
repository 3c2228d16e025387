using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Sentinel.ApiKeys;
using Sentinel.Redis.Cluster;
using StackExchange.Redis;

namespace Sentinel.Redis.RateLimiting;

/// <summary>
/// Per-key request budgets counted in Redis, so that a key spread over N instances gets its budget once, not N times.
/// While Redis is unreachable each instance counts on its own (a fixed window per key in memory).
/// </summary>
internal sealed class RedisApiKeyRateLimitStore(SentinelRedisConnection redis, IOptions<SentinelRedisOptions> options) : IApiKeyRateLimitStore, IDisposable
{
    private readonly ConcurrentDictionary<(Guid, int, TimeSpan), FixedWindowRateLimiter> _local = new();

    public async ValueTask<TimeSpan?> TryAcquireAsync(Guid keyId, int permitLimit, TimeSpan window, CancellationToken cancellationToken)
    {
        if (redis.Current is { IsConnected: true } multiplexer)
        {
            try
            {
                return await RedisWindowCounter.TakeAsync(multiplexer.GetDatabase(), (RedisKey)$"{options.Value.Prefix}:rlk:{keyId:N}", 1, permitLimit, window).ConfigureAwait(false);
            }
            catch (RedisException)
            {
                // Redis went away mid-request: count here instead.
            }
        }

        var limiter = _local.GetOrAdd((keyId, permitLimit, window), static k => new FixedWindowRateLimiter(
            new FixedWindowRateLimiterOptions { PermitLimit = k.Item2, Window = k.Item3, QueueLimit = 0 }));
        using var lease = limiter.AttemptAcquire();
        return lease.IsAcquired ? null : lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : window;
    }

    public void Dispose()
    {
        foreach (var limiter in _local.Values)
        {
            limiter.Dispose();
        }
    }
}
