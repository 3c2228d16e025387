using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Sentinel.Redis.Cluster;

/// <summary>
/// The one Redis connection of this instance, opened at host start. Requests never wait long for Redis: until it is
/// open, while it is down, and for a few seconds after a command failed or timed out (a stalled link can look
/// connected), <see cref="Usable"/> is null and callers fall back to counting in this process.
/// </summary>
internal sealed partial class SentinelRedisConnection(IOptions<SentinelRedisOptions> options, TimeProvider time, ILogger<SentinelRedisConnection> logger)
    : IAsyncDisposable, IDisposable
{
    // A request waits at most this long for Redis (unless the configuration string sets asyncTimeout).
    private const int DefaultAsyncTimeoutMs = 1000;
    private static readonly TimeSpan BackOff = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ConnectionMultiplexer? _multiplexer;
    private long _backOffUntil;

    /// <summary>The connection once opened (connected or not), else null.</summary>
    public IConnectionMultiplexer? Current => Volatile.Read(ref _multiplexer);

    /// <summary>The connection when commands should be sent now: connected, and no command failed in the last seconds.</summary>
    public IConnectionMultiplexer? Usable =>
        Current is { IsConnected: true } multiplexer && time.GetTimestamp() >= Interlocked.Read(ref _backOffUntil) ? multiplexer : null;

    /// <summary>A command failed or timed out: callers fall back for a few seconds instead of each waiting for Redis.</summary>
    public void ReportFailure() =>
        Interlocked.Exchange(ref _backOffUntil, time.GetTimestamp() + (long)(BackOff.TotalSeconds * time.TimestampFrequency));

    /// <summary>What a failed Redis command throws: its own exceptions, and timeouts (which are not <see cref="RedisException"/>s).</summary>
    public static bool IsRedisFailure(Exception e) => e is RedisException or TimeoutException;

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
            if (!options.Value.Configuration.Contains("asyncTimeout", StringComparison.OrdinalIgnoreCase))
            {
                configuration.AsyncTimeout = DefaultAsyncTimeoutMs;
            }

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

    public void Dispose()
    {
        Interlocked.Exchange(ref _multiplexer, null)?.Dispose();
        _gate.Dispose();
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
