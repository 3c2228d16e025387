using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
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
        services.TryAddScoped(sp => new AccountRecoveryService(
            sp.GetRequiredService<IUserStore>(), sp.GetRequiredService<IOneTimeTokenStore>(), sp.GetRequiredService<PasswordPolicy>(),
            sp.GetRequiredService<IPasswordHasher>(), sp.GetRequiredService<SessionService>(), sp.GetRequiredService<RevocationList>(),
            sp.GetRequiredService<AuditRecorder>(), sp.GetRequiredService<EmailSendQueue>(), Options<SentinelOptions>(sp), Time(sp),
            sp.GetService<ILogger<AccountRecoveryService>>()));
        services.TryAddScoped(sp => new UserService(
            sp.GetRequiredService<IUserStore>(), sp.GetRequiredService<SessionService>(), sp.GetRequiredService<ApiKeyService>(),
            sp.GetRequiredService<RevocationList>(), sp.GetRequiredService<IPasswordHasher>(), sp.GetRequiredService<PasswordPolicy>(),
            sp.GetRequiredService<SignInAttempts>(), sp.GetRequiredService<AuditRecorder>(), Options<SentinelOptions>(sp), Time(sp),
            sp.GetRequiredService<SentinelMetrics>(), sp.GetService<ILogger<UserService>>()));
        services.TryAddSingleton<SignInAttempts>();
        services.TryAddSingleton<Sentinel.Passkeys.PasskeyRelyingParty>();
        services.TryAddScoped<Sentinel.Passkeys.PasskeyCeremonies>();
        services.TryAddScoped(sp => new SignInService(
            sp.GetRequiredService<SignInAttempts>(), sp.GetRequiredService<MfaService>(), sp.GetRequiredService<IMfaStore>(),
            sp.GetRequiredService<IUserStore>(), sp.GetRequiredService<SessionService>(), sp.GetRequiredService<AuditRecorder>(),
            sp.GetRequiredService<SentinelMetrics>(), sp.GetRequiredService<IOneTimeTokenStore>(),
            sp.GetRequiredService<Sentinel.Passkeys.PasskeyCeremonies>(), sp.GetRequiredService<Sentinel.Passkeys.IPasskeyStore>(),
            sp.GetRequiredService<IOptions<SentinelOptions>>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddScoped(sp => new Sentinel.Passkeys.PasskeyService(
            sp.GetRequiredService<Sentinel.Passkeys.PasskeyCeremonies>(), sp.GetRequiredService<Sentinel.Passkeys.IPasskeyStore>(),
            sp.GetRequiredService<IUserStore>(), sp.GetRequiredService<SessionService>(), sp.GetRequiredService<AuditRecorder>(),
            sp.GetRequiredService<SentinelMetrics>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetService<Microsoft.Extensions.Logging.ILogger<Sentinel.Passkeys.PasskeyService>>()));
        services.TryAddSingleton<ISecretProtector, EphemeralSecretProtector>();
        services.TryAddSingleton<SigningKeyRing>();
        services.TryAddSingleton<RevocationList>();
        services.TryAddSingleton<Sentinel.Cluster.IClusterChannel, Sentinel.Cluster.SingleInstanceChannel>();
        services.TryAddSingleton<Sentinel.Cluster.RevocationSync>();
        services.TryAddSingleton<Sentinel.Cluster.ClusterChangeApplier>();
        services.TryAddSingleton<Sentinel.Cluster.IClusterChangeReceiver>(sp => sp.GetRequiredService<Sentinel.Cluster.ClusterChangeApplier>());
        services.TryAddSingleton(sp => new AccessTokenService(
            sp.GetRequiredService<SigningKeyRing>(), sp.GetRequiredService<RevocationList>(), Options<SentinelOptions>(sp), Time(sp)));
        services.TryAddScoped(sp => new SessionService(
            sp.GetRequiredService<ISessionStore>(), sp.GetRequiredService<IUserStore>(), sp.GetRequiredService<AccessTokenService>(),
            sp.GetRequiredService<RevocationList>(), sp.GetRequiredService<AuditRecorder>(), Options<SentinelOptions>(sp), Time(sp),
            sp.GetService<ILogger<SessionService>>()));
        services.TryAddScoped<MfaService>();
        services.TryAddSingleton<ApiKeyCache>();
        services.TryAddSingleton(sp => new ApiKeyVerifier(
            sp.GetRequiredService<ApiKeyCache>(), sp.GetRequiredService<AuditRecorder>(), Options<SentinelOptions>(sp), Time(sp),
            sp.GetService<Sentinel.RateLimiting.IRateLimitCounterStore>(), sp.GetRequiredService<SentinelMetrics>()));
        services.TryAddScoped(sp => new ApiKeyService(
            sp.GetRequiredService<IApiKeyStore>(), sp.GetRequiredService<ApiKeyCache>(), sp.GetRequiredService<AuditRecorder>(),
            Options<SentinelOptions>(sp), Time(sp), sp.GetRequiredService<ApiKeyVerifier>()));

        // Sentinel's own lifecycle: start-up loading, one job per periodic task, the flush at stop.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<SentinelJob, RevocationSyncJob>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<SentinelJob, ApiKeyUsageJob>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<SentinelJob, RefusalFlushJob>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<SentinelJob, SigningKeyRotationJob>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<SentinelJob, SessionPruneJob>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<SentinelJob, AuditPruneJob>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<SentinelJob, ExpiredTokenCleanupJob>());
        services.TryAddSingleton<SentinelMaintenance>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, SentinelMaintenance>(sp => sp.GetRequiredService<SentinelMaintenance>()));
        return new SentinelBuilder(services);
    }

    // The services whose constructors take Sentinel's internal caches are built here: DI only calls public constructors.
    private static IOptions<T> Options<T>(IServiceProvider services)
        where T : class => services.GetRequiredService<IOptions<T>>();

    private static TimeProvider Time(IServiceProvider services) => services.GetRequiredService<TimeProvider>();

    /// <summary>Keeps users, sessions, signing keys, two-factor state, API keys and the audit chain in process memory: for tests, demos and single-process prototypes.</summary>
    public static SentinelBuilder AddInMemoryStores(this SentinelBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<IUserStore, InMemoryUserStore>();
        builder.Services.TryAddSingleton<ISessionStore, InMemorySessionStore>();
        builder.Services.TryAddSingleton<ISigningKeyStore, InMemorySigningKeyStore>();
        builder.Services.TryAddSingleton<IMfaStore, InMemoryMfaStore>();
        builder.Services.TryAddSingleton<Sentinel.Passkeys.IPasskeyStore, InMemoryPasskeyStore>();
        builder.Services.TryAddSingleton<IApiKeyStore, InMemoryApiKeyStore>();
        builder.Services.TryAddSingleton<IAuditStore, InMemoryAuditStore>();
        builder.Services.TryAddSingleton<IOneTimeTokenStore, InMemoryOneTimeTokenStore>();
        return builder;
    }
}
