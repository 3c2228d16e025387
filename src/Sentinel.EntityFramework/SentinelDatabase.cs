using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sentinel.EntityFramework.Users;

namespace Sentinel.EntityFramework;

/// <summary>Start-up helpers for the shipped Sentinel contexts.</summary>
public static class SentinelDatabase
{
    private const string EmailNormalizationMigration = "_EmailNormalization";

    /// <summary>
    /// Brings every stored normalised email to the current form (NFKC, case folding, IDNA; SECURITY P6) in a context
    /// that holds Sentinel's tables. <see cref="MigrateSentinelDatabaseAsync"/> does this itself for the shipped
    /// contexts; a host whose own context holds Sentinel's tables (<c>AddEntityFrameworkStores&lt;TContext&gt;()</c>)
    /// calls it once after upgrading. Accounts that turn out to share a mailbox are logged (event 2302), never
    /// deleted. Returns how many accounts were updated.
    /// </summary>
    public static Task<int> NormalizeSentinelEmailsAsync(this DbContext context, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return EmailRenormalization.RunAsync(context, logger ?? NullLogger.Instance, cancellationToken);
    }

    /// <summary>
    /// Creates the database if needed and applies Sentinel's pending migrations, for the context registered by
    /// <c>AddSqliteStores</c> or <c>AddPostgreSqlStores</c>. With <c>AddEntityFrameworkStores&lt;TContext&gt;()</c>
    /// Sentinel's tables are part of the host's own context and its own migrations, and with in-memory stores there
    /// is no database: in both cases this does nothing, so the quickstart's lines work whichever store is chosen.
    /// Where a migration needs data rewritten in C# (the email normalisation of SECURITY P6), that happens here, before
    /// the migration is recorded, so a crash in between only repeats it.
    /// </summary>
    public static async Task MigrateSentinelDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        var scope = services.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            if (scope.ServiceProvider.GetService<SentinelDbContext>() is { } context)
            {
                var logger = scope.ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger("Sentinel.EntityFramework") ?? NullLogger.Instance;
                var pending = (await context.Database.GetPendingMigrationsAsync(cancellationToken).ConfigureAwait(false)).ToList();
                if (pending.FirstOrDefault(m => m.EndsWith(EmailNormalizationMigration, StringComparison.Ordinal)) is { } marker)
                {
                    var all = context.Database.GetMigrations().ToList();
                    var index = all.IndexOf(marker);
                    if (index > 0)
                    {
                        await context.GetService<IMigrator>().MigrateAsync(all[index - 1], cancellationToken).ConfigureAwait(false);
                        await EmailRenormalization.RunAsync(context, logger, cancellationToken).ConfigureAwait(false);
                    }
                }

                await context.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
