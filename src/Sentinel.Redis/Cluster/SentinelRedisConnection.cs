using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Sentinel.Redis.Cluster;

/// <summary>
/// The one Redis connection of this instance, opened at host start. It never makes a request wait for Redis: until it
/// is open, and whenever it is down, callers see <see cref="Current"/> as null or disconnected and fall back.
/// </summary>
internal sealed partial class SentinelRedisConnection(IOptions<SentinelRedisOptions> options, ILogger<SentinelRedisConnection> logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ConnectionMultiplexer? _multiplexer;

    /// <summary>The connection once opened (connected or not), else null.</summary>
    public IConnectionMultiplexer? Current => Volatile.Read(ref _multiplexer);

    /// <summary>True when commands can be sent now.</summary>
    public bool IsConnected => Current?.IsConnected == true;

    public RedisChannel Channel { get; } = RedisChannel.Literal(options.Value.Prefix + ":changes");

    /// <summary>Opens the connection once; it returns even when Redis is down, and reconnects by itself.</summary>
    public async Task<IConnectionMultiplexer> ConnectAsync(CancellationToken cancellationToken)
    {
        if (Current is { } open)
        {
            return open;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Current is { } raced)
            {
                return raced;
            }

            var configuration = ConfigurationOptions.Parse(options.Value.Configuration);
            configuration.AbortOnConnectFail = false; // start, and keep retrying, while Redis is down
            configuration.BacklogPolicy = BacklogPolicy.FailFast; // a command while disconnected fails at once: callers fall back
            configuration.ClientName ??= "sentinel";
            var multiplexer = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
            if (!multiplexer.IsConnected)
            {
                RedisUnreachableAtStart(logger);
            }

            Volatile.Write(ref _multiplexer, multiplexer);
            return multiplexer;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _multiplexer, null) is { } multiplexer)
        {
            await multiplexer.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }

    [LoggerMessage(2201, LogLevel.Warning, "Redis is not reachable at start; Sentinel reads revocations from its store until it is, and counts rate limits per instance.")]
    private static partial void RedisUnreachableAtStart(ILogger logger);
}
