using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Sentinel.EntityFramework;

/// <summary>Start-up helpers for the shipped Sentinel contexts.</summary>
public static class SentinelDatabase
{
    /// <summary>
    /// Creates the database if needed and applies Sentinel's pending migrations, for the context registered by
    /// <c>AddSqliteStores</c> or <c>AddPostgreSqlStores</c>. With <c>AddEntityFrameworkStores&lt;TContext&gt;()</c>
    /// Sentinel's tables are part of the host's own context and its own migrations, and with in-memory stores there
    /// is no database: in both cases this does nothing, so the quickstart's lines work whichever store is chosen.
    /// </summary>
    public static async Task MigrateSentinelDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        var scope = services.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            if (scope.ServiceProvider.GetService<SentinelDbContext>() is { } context)
            {
                await context.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
