using Microsoft.Extensions.Logging;
using Sentinel.Cluster;
using StackExchange.Redis;

namespace Sentinel.Redis.Cluster;

/// <summary>
/// Publishes this instance's changes on the Redis channel, fire-and-forget: the request that revoked a session does
/// not wait for Redis. When Redis is down nothing is sent; the others read the change from the store
/// (<see cref="SentinelRedisOptions.DisconnectedReloadInterval"/> while they are disconnected too, else within
/// <see cref="ClusterOptions.ReloadInterval"/>).
/// </summary>
internal sealed partial class RedisClusterChannel(SentinelRedisConnection redis, TimeProvider time, ILogger<RedisClusterChannel> logger) : IClusterChannel
{
    /// <summary>This instance, as named in the messages it sends.</summary>
    public Guid InstanceId { get; } = Guid.NewGuid();

    public void Publish(ClusterChange change)
    {
        if (redis.Current is not { IsConnected: true } multiplexer)
        {
            NotPublished(logger, change.Kind);
            return;
        }

        try
        {
            multiplexer.GetSubscriber().Publish(redis.Channel, ClusterMessage.Format(InstanceId, change, time.GetUtcNow()), CommandFlags.FireAndForget);
        }
        catch (Exception e) when (SentinelRedisConnection.IsRedisFailure(e))
        {
            PublishFailed(logger, change.Kind, e.GetType().Name);
        }
    }

    [LoggerMessage(2202, LogLevel.Debug, "Redis is disconnected: a {Kind} change was not published; other instances read it from the store.")]
    private static partial void NotPublished(ILogger logger, ClusterChangeKind kind);

    [LoggerMessage(2203, LogLevel.Warning, "Publishing a {Kind} change to Redis failed ({Error}); other instances read it from the store.")]
    private static partial void PublishFailed(ILogger logger, ClusterChangeKind kind, string error);
}
