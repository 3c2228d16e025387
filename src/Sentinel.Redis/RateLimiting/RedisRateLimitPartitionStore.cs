using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Sentinel.RateLimiting;
using Sentinel.Redis.Cluster;
using StackExchange.Redis;

namespace Sentinel.Redis.RateLimiting;

/// <summary>Sentinel's per-address limits counted in Redis, so that they hold across every instance.</summary>
internal sealed class RedisRateLimitPartitionStore(SentinelRedisConnection redis, IOptions<SentinelRedisOptions> options, TimeProvider time) : IRateLimitPartitionStore
{
    private static readonly InMemoryRateLimitPartitionStore InProcess = new();

    // While Redis is unreachable every partition counts here, in one place shared by the partitions' limiters.
    private readonly FixedWindowCounter<string> _local = new(time, StringComparer.Ordinal);

    public RateLimiter Create(string policy, string partitionKey, RateLimitRule rule) => options.Value.ShareRateLimits
        ? new RedisFixedWindowLimiter(redis, (RedisKey)$"{options.Value.Prefix}:rl:{policy}:{partitionKey}", rule, time, _local)
        : InProcess.Create(policy, partitionKey, rule);
}

/// <summary>
/// A fixed window counted in Redis: one atomic script per request (increment, and on the window's first request set
/// its expiry), so every instance draws on the same count. While Redis is unreachable it counts in this process, so
/// limits still hold per instance and no request waits for Redis.
/// </summary>
internal sealed class RedisFixedWindowLimiter : RateLimiter
{
    private readonly SentinelRedisConnection _redis;
    private readonly RedisKey _key;
    private readonly RateLimitRule _rule;
    private readonly TimeProvider _time;
    private readonly FixedWindowCounter<string> _local;
    private long _lastUsed;

    public RedisFixedWindowLimiter(SentinelRedisConnection redis, RedisKey key, RateLimitRule rule, TimeProvider time, FixedWindowCounter<string> local)
    {
        _redis = redis;
        _key = key;
        _rule = rule;
        _time = time;
        _lastUsed = time.GetTimestamp();
        _local = local;
    }

    // Idle only once a whole window has passed since the last request: ASP.NET Core drops idle partitions (after 10 s),
    // and dropping one whose window is still running would restart the local count while Redis is down.
    public override TimeSpan? IdleDuration =>
        _time.GetElapsedTime(Interlocked.Read(ref _lastUsed)) is var idle && idle >= _rule.Window ? idle : null;

    public override RateLimiterStatistics? GetStatistics() => null;

    // Redis cannot be asked synchronously: an unacquired lease sends the middleware to AcquireAsync. While Redis is
    // down the local window answers at once.
    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        Interlocked.Exchange(ref _lastUsed, _time.GetTimestamp());
        return _redis.Usable is not null ? SentinelLease.Undecided : CountHere(permitCount);
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _lastUsed, _time.GetTimestamp());
        if (permitCount > 0 && _redis.Usable is { } multiplexer)
        {
            try
            {
                var retryAfter = await RedisWindowCounter.TakeAsync(multiplexer.GetDatabase(), _key, permitCount, _rule.PermitLimit, _rule.Window).ConfigureAwait(false);
                return retryAfter is { } wait ? SentinelLease.Rejected(wait) : SentinelLease.Granted;
            }
            catch (Exception e) when (SentinelRedisConnection.IsRedisFailure(e))
            {
                _redis.ReportFailure(); // Redis went away or stalled mid-request: count here, and for the next seconds
            }
        }

        return CountHere(permitCount);
    }

    /// <summary>The window in this process, while Redis cannot count (a zero-permit request only asks whether any is left).</summary>
    private SentinelLease CountHere(int permitCount)
    {
        if (_local.Count > 100_000)
        {
            _local.Prune(_rule.Window > TimeSpan.FromHours(1) ? _rule.Window : TimeSpan.FromHours(1)); // an outage with many addresses
        }

        return _local.TryAcquire(_key.ToString(), _rule.PermitLimit, _rule.Window, permitCount) is { } wait ? SentinelLease.Rejected(wait) : SentinelLease.Granted;
    }

    private sealed class SentinelLease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly SentinelLease Granted = new(true, null);
        public static readonly SentinelLease Undecided = new(false, null);

        public static SentinelLease Rejected(TimeSpan retryAfter) => new(false, retryAfter);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter is { } wait && metadataName == MetadataName.RetryAfter.Name ? wait : null;
            return metadata is not null;
        }
    }
}
