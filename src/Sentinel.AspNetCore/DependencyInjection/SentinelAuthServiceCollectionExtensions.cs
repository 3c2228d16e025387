using Sentinel;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The one call an ASP.NET Core host makes to add Sentinel.</summary>
public static class SentinelAuthServiceCollectionExtensions
{
    /// <summary>
    /// Adds Sentinel: options (validated when the host starts), users, password hashing, lockout and auditing.
    /// Chain a store next: <c>.AddSqliteStores("Data Source=app.db")</c>, <c>.AddPostgreSqlStores(…)</c>,
    /// <c>.AddEntityFrameworkStores&lt;AppDbContext&gt;()</c> or <c>.AddInMemoryStores()</c>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Adjusts <see cref="SentinelOptions"/>; every setting has a safe default.</param>
    public static SentinelBuilder AddSentinelAuth(this IServiceCollection services, Action<SentinelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddSentinelCore(configure);
    }
}
