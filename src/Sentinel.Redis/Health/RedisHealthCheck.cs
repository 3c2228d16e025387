using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sentinel.Redis.Cluster;

namespace Sentinel.Redis.Health;

/// <summary>
/// Whether Redis answers a PING. Degraded, not unhealthy, when it does not: Sentinel keeps serving without it
/// (revocations read from the store every few seconds, rate limits counted per instance).
/// </summary>
internal sealed class RedisHealthCheck(SentinelRedisConnection redis) : IHealthCheck
{
    public const string Name = "sentinel_redis";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (redis.Current is not { IsConnected: true } multiplexer)
        {
            return HealthCheckResult.Degraded("Redis is not connected; Sentinel reads revocations from its store and counts rate limits per instance.");
        }

        if (redis.Usable is null)
        {
            return HealthCheckResult.Degraded("A Redis command failed or timed out in the last seconds; Sentinel counts rate limits in this process meanwhile.");
        }

        try
        {
            var latency = await multiplexer.GetDatabase().PingAsync().ConfigureAwait(false);
            return HealthCheckResult.Healthy($"PING {latency.TotalMilliseconds:0.0} ms");
        }
        catch (Exception e) when (SentinelRedisConnection.IsRedisFailure(e))
        {
            return HealthCheckResult.Degraded("Redis did not answer a PING: " + e.GetType().Name);
        }
    }
}
