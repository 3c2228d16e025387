using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Sentinel.EntityFramework;

/// <summary>Start-up helpers for the shipped Sentinel contexts.</summary>
public static class SentinelDatabase
{
    /// <summary>
    /// Creates the database if needed and applies Sentinel's pending migrations, for the context registered by
    /// <c>AddSqliteStores</c> or <c>AddPostgreSqlStores</c>.
    /// </summary>
    public static async Task MigrateSentinelDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        var scope = services.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var context = scope.ServiceProvider.GetRequiredService<SentinelDbContext>();
            await context.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
