using Sentinel.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Sentinel;
using Sentinel.AspNetCore.Health;
using Sentinel.AspNetCore.Authentication;
using Sentinel.AspNetCore.Hosting;
using Sentinel.AspNetCore.RateLimiting;
using Sentinel.Secrets;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The one call an ASP.NET Core host makes to add Sentinel.</summary>
public static class SentinelAuthServiceCollectionExtensions
{
    /// <summary>
    /// Adds Sentinel: options (validated when the host starts), users, passwords, lockout, sessions, access and
    /// refresh tokens, two-factor, API keys, signing keys (protected with ASP.NET Core Data Protection), the
    /// <c>Sentinel.Bearer</c> and <c>Sentinel.ApiKey</c> schemes behind the <c>Sentinel</c> policy scheme (the default
    /// scheme unless the host chose another), <c>RequireScope</c> authorization, the <c>Sentinel.User</c> and <c>Sentinel.Admin</c> policies, and the
    /// queued audit writer (flushed when the host stops).
    /// Chain a store next: <c>.AddSqliteStores("Data Source=app.db")</c>, <c>.AddPostgreSqlStores(…)</c>,
    /// <c>.AddEntityFrameworkStores&lt;AppDbContext&gt;()</c> or <c>.AddInMemoryStores()</c>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Adjusts <see cref="SentinelOptions"/>; every setting has a safe default.</param>
    public static SentinelBuilder AddSentinelAuth(this IServiceCollection services, Action<SentinelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddDataProtection();
        services.TryAddSingleton<ISecretProtector, DataProtectionSecretProtector>();
        var builder = services.AddSentinelCore(configure);

        if (!services.Any(d => d.ServiceType == typeof(SentinelMarker)))
        {
            services.AddSingleton<SentinelMarker>();
            services.AddAuthentication(o => o.DefaultScheme ??= SentinelAuthenticationDefaults.Scheme)
                .AddScheme<SentinelBearerOptions, SentinelBearerHandler>(SentinelAuthenticationDefaults.BearerScheme, null)
                .AddScheme<SentinelApiKeyOptions, SentinelApiKeyHandler>(SentinelAuthenticationDefaults.ApiKeyScheme, null)
                // A request is a bearer request unless it presents a key where the endpoint accepts keys (SECURITY K5):
                // a scope is required, or the endpoint opted in. Elsewhere the key is never read.
                .AddPolicyScheme(SentinelAuthenticationDefaults.Scheme, "Sentinel", o => o.ForwardDefaultSelector = context =>
                    SentinelApiKeyHandler.ReadKey(context.Request) is not null && ApiKeyAcceptance.Accepts(context)
                        ? SentinelAuthenticationDefaults.ApiKeyScheme
                        : SentinelAuthenticationDefaults.BearerScheme);
            services.AddSingleton<IAuthorizationHandler, ScopeAuthorizationHandler>();
            services.AddSingleton<IAuthorizationHandler, SentinelAdminAuthorizationHandler>();
            services.AddSingleton<IAuthorizationHandler, RecentAuthenticationHandler>();
            services.AddSingleton<IAuthorizationMiddlewareResultHandler, SentinelAuthorizationResultHandler>();
            services.AddAuthorizationBuilder()
                .AddPolicy(SentinelAuthenticationDefaults.UserPolicy, p => p
                    .AddAuthenticationSchemes(SentinelAuthenticationDefaults.BearerScheme)
                    .RequireAuthenticatedUser())
                .AddPolicy(SentinelAuthenticationDefaults.AdminPolicy, p => p
                    .AddAuthenticationSchemes(SentinelAuthenticationDefaults.BearerScheme)
                    .RequireAuthenticatedUser()
                    .AddRequirements(new SentinelAdminRequirement()))
                .AddPolicy(SentinelAuthenticationDefaults.RecentPolicy, p => p
                    .AddAuthenticationSchemes(SentinelAuthenticationDefaults.BearerScheme)
                    .RequireAuthenticatedUser()
                    .AddRequirements(new RecentAuthenticationRequirement(null)));
            services.AddRateLimiter(SentinelRateLimiting.Configure);
            services.TryAddSingleton<IRateLimitPartitionStore, InMemoryRateLimitPartitionStore>();
            services.TryAddSingleton<WiderNetworkLimiters>();
            services.AddHealthChecks()
                .AddCheck<SentinelStoreHealthCheck>(SentinelStoreHealthCheck.Name, tags: ["sentinel"])
                .AddCheck<SentinelDataProtectionHealthCheck>(SentinelDataProtectionHealthCheck.Name, tags: ["sentinel"]);
            // In Production the key ring that encrypts signing keys and TOTP secrets must survive a restart.
            services.AddSingleton<IValidateOptions<KeyManagementOptions>>(sp => new PersistentKeyRingValidator(
                sp.GetService<IHostEnvironment>(),
                () => services.LastOrDefault(d => d.ServiceType == typeof(ISecretProtector))?.ImplementationType == typeof(DataProtectionSecretProtector)));
            services.AddOptions<KeyManagementOptions>().ValidateOnStart();
        }

        return builder;
    }

    /// <summary>Marks that the once-only registrations (scheme, policy, hosted service) are done.</summary>
    private sealed class SentinelMarker;
}
