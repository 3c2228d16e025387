using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.Extensions.Options;
using Sentinel.Redis.Cluster;

namespace Sentinel.Redis.DataProtection;

/// <summary>
/// Keeps the Data Protection key ring in Redis (<c>{Prefix}:data-protection-keys</c>) when
/// <see cref="SentinelRedisOptions.PersistDataProtectionKeys"/> is on, through Microsoft's
/// <see cref="RedisXmlRepository"/> over Sentinel's one connection. Every instance then reads one ring. It takes
/// precedence over the EF stores' default of keeping the ring in Sentinel's database.
/// </summary>
internal sealed class RedisKeyRing(IOptions<SentinelRedisOptions> redisOptions, SentinelRedisConnection connection) : IConfigureOptions<KeyManagementOptions>
{
    public void Configure(KeyManagementOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!redisOptions.Value.PersistDataProtectionKeys)
        {
            return;
        }

        // Data Protection reads the ring synchronously, once at start and then every day or so: the connection is
        // the one the listener opens at start (a ring in Redis needs Redis up when an instance starts).
        options.XmlRepository = new RedisXmlRepository(
            () => connection.ConnectAsync(CancellationToken.None).GetAwaiter().GetResult().GetDatabase(),
            redisOptions.Value.Prefix + ":data-protection-keys");
    }
}
