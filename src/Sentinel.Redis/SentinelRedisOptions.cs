namespace Sentinel.Redis;

/// <summary>How Sentinel uses Redis; set through <c>AddRedis(connectionString, o => …)</c>.</summary>
public sealed class SentinelRedisOptions
{
    /// <summary>The StackExchange.Redis configuration string, for example <c>localhost:6379</c> or <c>redis:6379,password=…</c>.</summary>
    public string Configuration { get; set; } = "";

    /// <summary>
    /// Names the pub/sub channel and the rate-limit keys (default <c>sentinel</c>). Every instance of one app uses the
    /// same prefix; two apps sharing one Redis use different ones.
    /// </summary>
    public string Prefix { get; set; } = "sentinel";

    /// <summary>
    /// While Redis is unreachable, how often revocations are read from the store instead (default 5 seconds): the
    /// longest another instance's revocation can go unseen here during the outage.
    /// </summary>
    public TimeSpan DisconnectedReloadInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether the per-address and per-key rate limits count in Redis, across every instance (default <c>true</c>).
    /// While Redis is unreachable each instance counts on its own.
    /// </summary>
    public bool ShareRateLimits { get; set; } = true;

    /// <summary>
    /// Keeps the ASP.NET Core Data Protection key ring (which encrypts signing keys and TOTP secrets) in Redis, under
    /// <c>{Prefix}:data-protection-keys</c>, for every instance to read (default <c>false</c>: with the EF stores the
    /// ring is kept in Sentinel's database). Only with a Redis that persists its data (AOF or RDB): a ring lost with a
    /// Redis restart makes every token and authenticator unreadable. Redis must be reachable when an instance starts.
    /// </summary>
    public bool PersistDataProtectionKeys { get; set; }
}
