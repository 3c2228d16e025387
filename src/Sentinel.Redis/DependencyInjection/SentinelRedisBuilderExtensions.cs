using Microsoft.Extensions.DependencyInjection.Extensions;
using Sentinel.RateLimiting;
using Sentinel.Cluster;
using Sentinel.Redis;
using Sentinel.Redis.Cluster;
using Sentinel.Redis.Health;
using Sentinel.Redis.RateLimiting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Runs Sentinel on several instances that share one database and one Redis.</summary>
public static class SentinelRedisBuilderExtensions
{
    /// <summary>
    /// Connects the instances through Redis: a revocation (session, user, API key) or a new signing key made on one is
    /// published and applied on every other within milliseconds; per-address and per-key rate limits count in Redis. The store
    /// stays the source of truth: an instance reads what changed from it after (re)subscribing, and every few
    /// seconds while Redis is down. Also registers the <c>sentinel_redis</c> health check.
    /// </summary>
    /// <param name="builder">From <c>AddSentinelAuth()</c>.</param>
    /// <param name="connectionString">A StackExchange.Redis configuration string, for example <c>localhost:6379</c>.</param>
    /// <param name="configure">Adjusts <see cref="SentinelRedisOptions"/>.</param>
    public static SentinelBuilder AddRedis(this SentinelBuilder builder, string connectionString, Action<SentinelRedisOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var services = builder.Services;
        services.AddOptions<SentinelRedisOptions>()
            .Configure(o =>
            {
                o.Configuration = connectionString;
                configure?.Invoke(o);
            })
            .Validate(o => !string.IsNullOrWhiteSpace(o.Prefix), "Sentinel:Redis:Prefix must be set.")
            .Validate(o => o.DisconnectedReloadInterval > TimeSpan.Zero, "Sentinel:Redis:DisconnectedReloadInterval must be positive, for example 00:00:05.")
            .ValidateOnStart();
        services.TryAddSingleton<SentinelRedisConnection>();
        services.TryAddSingleton<RedisClusterChannel>();
        services.Replace(ServiceDescriptor.Singleton<IClusterChannel>(sp => sp.GetRequiredService<RedisClusterChannel>()));
        if (!services.Any(d => d.ImplementationType == typeof(RedisClusterListener)))
        {
            services.AddHostedService<RedisClusterListener>();
            services.AddHealthChecks().AddCheck<RedisHealthCheck>(RedisHealthCheck.Name, tags: ["sentinel"]);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Options.IConfigureOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>, Sentinel.Redis.DataProtection.RedisKeyRing>());

        // Both read ShareRateLimits when used, so that it can also be set through Configure<SentinelRedisOptions>.
        services.Replace(ServiceDescriptor.Singleton<IRateLimitPartitionStore, RedisRateLimitPartitionStore>());
        services.Replace(ServiceDescriptor.Singleton<Sentinel.RateLimiting.IRateLimitCounterStore, RedisRateLimitCounterStore>());

        return builder;
    }
}
