using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Sentinel.EntityFramework.DataProtection;
using Sentinel.ApiKeys;
using Sentinel.EntityFramework;
using Sentinel.Audit;
using Sentinel.EntityFramework.ApiKeys;
using Sentinel.Email;
using Sentinel.EntityFramework.Audit;
using Sentinel.EntityFramework.Email;
using Sentinel.EntityFramework.Mfa;
using Sentinel.EntityFramework.Sessions;
using Sentinel.EntityFramework.Tokens;
using Sentinel.EntityFramework.Users;
using Sentinel.Mfa;
using Sentinel.Sessions;
using Sentinel.Tokens;
using Sentinel.Users;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Sentinel's EF Core stores.</summary>
public static class SentinelEntityFrameworkBuilderExtensions
{
    /// <summary>
    /// Stores Sentinel's data through <typeparamref name="TContext"/>, which must be registered with
    /// <c>AddDbContext</c> and call <c>modelBuilder.UseSentinel()</c>. When it also implements
    /// <see cref="IDataProtectionKeyContext"/>, the Data Protection key ring is kept in it unless the host persists the
    /// ring elsewhere; otherwise persist the ring yourself (<c>services.AddDataProtection().PersistKeysTo…()</c>).
    /// </summary>
    public static SentinelBuilder AddEntityFrameworkStores<TContext>(this SentinelBuilder builder) where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (typeof(IDataProtectionKeyContext).IsAssignableFrom(typeof(TContext)))
        {
            var fallback = typeof(DatabaseKeyRing<>).MakeGenericType(typeof(TContext));
            builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IPostConfigureOptions<KeyManagementOptions>), fallback));
        }

        builder.Services.TryAddScoped<IUserStore, EntityFrameworkUserStore<TContext>>();
        builder.Services.TryAddScoped<ISessionStore, EntityFrameworkSessionStore<TContext>>();
        builder.Services.TryAddScoped<ISigningKeyStore, EntityFrameworkSigningKeyStore<TContext>>();
        builder.Services.TryAddScoped<IMfaStore, EntityFrameworkMfaStore<TContext>>();
        builder.Services.TryAddScoped<IApiKeyStore, EntityFrameworkApiKeyStore<TContext>>();
        builder.Services.TryAddScoped<IAuditStore, EntityFrameworkAuditStore<TContext>>();
        builder.Services.TryAddScoped<IOneTimeTokenStore, EntityFrameworkOneTimeTokenStore<TContext>>();
        builder.Services.TryAddScoped<Sentinel.Passkeys.IPasskeyStore, Sentinel.EntityFramework.Passkeys.EntityFrameworkPasskeyStore<TContext>>();
        return builder;
    }

    /// <summary>Stores Sentinel's data in SQLite through <see cref="SentinelSqliteDbContext"/> (migrations included).</summary>
    /// <param name="builder">The Sentinel builder.</param>
    /// <param name="connectionString">For example <c>Data Source=sentinel.db</c>.</param>
    public static SentinelBuilder AddSqliteStores(this SentinelBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        // Pooled: options are built once and contexts reused, instead of both per request (the API key and sign-in
        // paths resolve a store on every call).
        builder.Services.AddDbContextPool<SentinelSqliteDbContext>(o => o.UseSqlite(connectionString));
        builder.Services.TryAddScoped<SentinelDbContext>(sp => sp.GetRequiredService<SentinelSqliteDbContext>());
        return builder.AddEntityFrameworkStores<SentinelSqliteDbContext>();
    }

    /// <summary>
    /// Stores Sentinel's data in PostgreSQL through <see cref="SentinelPostgreSqlDbContext"/> (migrations included).
    /// Unless the connection string sets <c>Keepalive</c>, idle pooled connections are probed every
    /// <see cref="DefaultKeepAliveSeconds"/> seconds, so that connections a database restart broke leave the pool
    /// within seconds instead of failing one request each.
    /// </summary>
    /// <param name="builder">The Sentinel builder.</param>
    /// <param name="connectionString">For example <c>Host=localhost;Database=app;Username=app;Password=…</c>.</param>
    public static SentinelBuilder AddPostgreSqlStores(this SentinelBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        connectionString = WithKeepAlive(connectionString);
        builder.Services.AddDbContextPool<SentinelPostgreSqlDbContext>(o => o.UseNpgsql(connectionString));
        builder.Services.TryAddScoped<SentinelDbContext>(sp => sp.GetRequiredService<SentinelPostgreSqlDbContext>());
        return builder.AddEntityFrameworkStores<SentinelPostgreSqlDbContext>();
    }

    /// <summary>The keepalive interval <see cref="AddPostgreSqlStores"/> sets when the connection string names none.</summary>
    public const int DefaultKeepAliveSeconds = 5;

    internal static string WithKeepAlive(string connectionString)
    {
        var named = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (named.ContainsKey("Keepalive"))
        {
            return connectionString;
        }

        return new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { KeepAlive = DefaultKeepAliveSeconds }.ConnectionString;
    }
}
