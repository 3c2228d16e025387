using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Sentinel;
using Sentinel.ApiKeys;
using Sentinel.Audit;
using Sentinel.Diagnostics;
using Sentinel.Email;
using Sentinel.Hosting;
using Sentinel.Mfa;
using Sentinel.Passwords;
using Sentinel.Secrets;
using Sentinel.Sessions;
using Sentinel.SignIn;
using Sentinel.Tokens;
using Sentinel.Storage.InMemory;
using Sentinel.Users;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Sentinel's core services. Every registration is <c>TryAdd*</c>: calling twice is harmless.</summary>
public static class SentinelCoreServiceCollectionExtensions
{
    /// <summary>
    /// Adds Sentinel's services and options (validated at start-up). Add stores next, for example
    /// <see cref="AddInMemoryStores(SentinelBuilder)"/>. ASP.NET Core hosts call <c>AddSentinelAuth()</c> instead.
    /// </summary>
    public static SentinelBuilder AddSentinelCore(this IServiceCollection services, Action<SentinelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<SentinelOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SentinelOptions>, SentinelOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SentinelMetrics>();
        services.TryAddSingleton<IPasswordHasher, PasswordHasher>();
        services.TryAddSingleton<PasswordPolicy>();
        services.TryAddSingleton<AuditRecorder>();
        services.TryAddSingleton<AuditWriter>();
        services.TryAddSingleton<IAuditLog>(sp => sp.GetRequiredService<AuditWriter>());
        services.TryAddScoped<AuditService>();
        services.TryAddSingleton<EmailSendQueue>();
        services.TryAddScoped<EmailDispatcher>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuditObserver, SecurityNotices>());
        services.TryAddScoped<AccountRecoveryService>();
        services.TryAddScoped<UserService>();
        services.TryAddSingleton<SignInAttempts>();
        services.TryAddScoped<SignInService>();
        services.TryAddSingleton<ISecretProtector, EphemeralSecretProtector>();
        services.TryAddSingleton<SigningKeyRing>();
        services.TryAddSingleton<RevocationList>();
        services.TryAddSingleton<Sentinel.Cluster.IClusterChannel, Sentinel.Cluster.SingleInstanceChannel>();
        services.TryAddSingleton<Sentinel.Cluster.RevocationSync>();
        services.TryAddSingleton<Sentinel.Cluster.ClusterChangeApplier>();
        services.TryAddSingleton<AccessTokenService>();
        services.TryAddScoped<SessionService>();
        services.TryAddSingleton<MfaTokenService>();
        services.TryAddScoped<MfaService>();
        services.TryAddSingleton<ApiKeyCache>();
        services.TryAddSingleton<ApiKeyVerifier>();
        services.TryAddScoped<ApiKeyService>();

        // Sentinel's own lifecycle: start-up loading, one job per periodic task, the flush at stop.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<SentinelJob, RevocationSyncJob>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<SentinelJob, ApiKeyUsageJob>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<SentinelJob, SigningKeyRotationJob>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<SentinelJob, SessionPruneJob>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<SentinelJob, AuditPruneJob>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<SentinelJob, ExpiredTokenCleanupJob>());
        services.TryAddSingleton<SentinelMaintenance>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, SentinelMaintenance>(sp => sp.GetRequiredService<SentinelMaintenance>()));
        return new SentinelBuilder(services);
    }

    /// <summary>Keeps users, sessions, signing keys, two-factor state, API keys and the audit chain in process memory: for tests, demos and single-process prototypes.</summary>
    public static SentinelBuilder AddInMemoryStores(this SentinelBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<IUserStore, InMemoryUserStore>();
        builder.Services.TryAddSingleton<ISessionStore, InMemorySessionStore>();
        builder.Services.TryAddSingleton<ISigningKeyStore, InMemorySigningKeyStore>();
        builder.Services.TryAddSingleton<IMfaStore, InMemoryMfaStore>();
        builder.Services.TryAddSingleton<IApiKeyStore, InMemoryApiKeyStore>();
        builder.Services.TryAddSingleton<IAuditStore, InMemoryAuditStore>();
        builder.Services.TryAddSingleton<IOneTimeTokenStore, InMemoryOneTimeTokenStore>();
        return builder;
    }
}
