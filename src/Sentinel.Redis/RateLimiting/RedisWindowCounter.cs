using StackExchange.Redis;

namespace Sentinel.Redis.RateLimiting;

/// <summary>
/// A fixed window counted in Redis: one atomic script per request adds to the window's count and, on its first
/// request, sets the window's expiry. Every instance draws on the same count.
/// </summary>
internal static class RedisWindowCounter
{
    private const string Script = """
        local n = redis.call('INCRBY', KEYS[1], ARGV[2])
        if n == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end
        return {n, ttl}
        """;

    /// <summary>Takes <paramref name="permits"/>: null when the window still had room, else the time until it ends.</summary>
    public static async Task<TimeSpan?> TakeAsync(IDatabase database, RedisKey key, int permits, int limit, TimeSpan window)
    {
        var windowMs = Math.Max(1, (long)Math.Ceiling(window.TotalMilliseconds));
        var result = (RedisResult[])(await database.ScriptEvaluateAsync(Script, [key], [windowMs, permits]).ConfigureAwait(false))!;
        var count = (long)result[0];
        var ttl = (long)result[1];
        return count <= limit ? null : TimeSpan.FromMilliseconds(ttl > 0 ? ttl : windowMs);
    }
}
