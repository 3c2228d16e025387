using Sentinel.EntityFramework.Users;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Adds Sentinel's tables to a host's own <see cref="DbContext"/>.</summary>
public static class SentinelModelBuilderExtensions
{
    /// <summary>
    /// Maps every Sentinel entity. Call it from <c>OnModelCreating</c> of your context, then add a migration;
    /// or use <see cref="Sentinel.EntityFramework.SentinelSqliteDbContext"/> / <see cref="Sentinel.EntityFramework.SentinelPostgreSqlDbContext"/>,
    /// which ship with migrations.
    /// </summary>
    public static ModelBuilder UseSentinel(this ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.ApplyConfiguration(new SentinelUserConfiguration());
        return modelBuilder;
    }
}
