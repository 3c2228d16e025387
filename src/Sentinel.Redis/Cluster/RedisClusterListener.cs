using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sentinel.Cluster;
using Sentinel.Diagnostics;
using StackExchange.Redis;

namespace Sentinel.Redis.Cluster;

/// <summary>
/// Applies the changes other instances publish, and covers for Redis when it cannot: right after subscribing (and
/// after every reconnect) it reads from the store what changed since its last read, so nothing published while it
/// was not listening is missed; while Redis is down it reads every <see cref="SentinelRedisOptions.DisconnectedReloadInterval"/>.
/// </summary>
internal sealed partial class RedisClusterListener(
    SentinelRedisConnection redis,
    RedisClusterChannel channel,
    IClusterChangeReceiver receiver,
    SentinelMetrics metrics,
    IOptions<SentinelRedisOptions> options,
    TimeProvider time,
    ILogger<RedisClusterListener> logger) : BackgroundService
{
    private int _restored;
    private int _subscriptionDown; // the pub/sub connection alone can drop while the other one stays up

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        IConnectionMultiplexer multiplexer;
        try
        {
            multiplexer = await redis.ConnectAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or ArgumentException)
        {
            // A configuration Redis cannot parse: say so, and keep serving from the store alone.
            ListenerFailed(logger, e.GetType().Name);
            return;
        }

        multiplexer.ConnectionFailed += OnConnectionFailed;
        multiplexer.ConnectionRestored += OnConnectionRestored;
        var subscribed = false;
        using var timer = new PeriodicTimer(options.Value.DisconnectedReloadInterval, time);
        try
        {
            do
            {
                try
                {
                    if (!subscribed && multiplexer.IsConnected)
                    {
                        await multiplexer.GetSubscriber().SubscribeAsync(redis.Channel, OnMessage).ConfigureAwait(false);
                        subscribed = true;
                        Interlocked.Exchange(ref _restored, 0);
                        await ReadAsync("reconnect", stoppingToken).ConfigureAwait(false); // what changed before the subscription
                    }
                    else if (subscribed && Interlocked.Exchange(ref _restored, 0) == 1)
                    {
                        await ReadAsync("reconnect", stoppingToken).ConfigureAwait(false); // what was published while disconnected
                    }

                    if (!multiplexer.IsConnected || !subscribed || Volatile.Read(ref _subscriptionDown) == 1)
                    {
                        await ReadAsync("disconnected", stoppingToken).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    ListenerFailed(logger, e.GetType().Name); // the store or Redis is down: the next tick tries again
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            multiplexer.ConnectionFailed -= OnConnectionFailed;
            multiplexer.ConnectionRestored -= OnConnectionRestored;
        }
    }

    private async Task ReadAsync(string trigger, CancellationToken cancellationToken)
    {
        await receiver.CatchUpAsync(cancellationToken).ConfigureAwait(false);
        metrics.ClusterReload(trigger);
    }

    private void OnMessage(RedisChannel source, RedisValue value)
    {
        if (!ClusterMessage.TryParse(value, out var origin, out var change, out var sentAt))
        {
            MalformedMessage(logger);
            return;
        }

        if (origin != channel.InstanceId)
        {
            _ = ApplyAsync(change, sentAt);
        }
    }

    private async Task ApplyAsync(ClusterChange change, DateTimeOffset sentAt)
    {
        try
        {
            await receiver.ApplyAsync(change, sentAt).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Only a signing-key reload can fail (the store is down): the ring reloads on its own schedule.
            ApplyFailed(logger, change.Kind, e.GetType().Name);
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            Interlocked.Exchange(ref _subscriptionDown, 1);
            ConnectionLost(logger, e.FailureType);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            Interlocked.Exchange(ref _subscriptionDown, 0);
            Interlocked.Exchange(ref _restored, 1);
            ConnectionBack(logger);
        }
    }

    [LoggerMessage(2204, LogLevel.Warning, "Lost the Redis subscription ({Failure}): revocations are read from the store every few seconds until it is back.")]
    private static partial void ConnectionLost(ILogger logger, ConnectionFailureType failure);

    [LoggerMessage(2205, LogLevel.Information, "The Redis subscription is back; reading what changed meanwhile from the store.")]
    private static partial void ConnectionBack(ILogger logger);

    [LoggerMessage(2206, LogLevel.Warning, "Sentinel's Redis listener could not do its work ({Error}); it tries again.")]
    private static partial void ListenerFailed(ILogger logger, string error);

    [LoggerMessage(2207, LogLevel.Warning, "Ignored a malformed message on Sentinel's Redis channel.")]
    private static partial void MalformedMessage(ILogger logger);

    [LoggerMessage(2208, LogLevel.Warning, "Applying a {Kind} change from another instance failed ({Error}).")]
    private static partial void ApplyFailed(ILogger logger, ClusterChangeKind kind, string error);
}
