using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Sentinel.Users;

namespace Sentinel.EntityFramework;

/// <summary>
/// A context holding only Sentinel's tables. Use a provider-specific subclass (they carry the migrations), or map
/// Sentinel into your own context with <c>modelBuilder.UseSentinel()</c>. It also holds the ASP.NET Core Data
/// Protection key ring (<c>sentinel_data_protection_keys</c>), which <c>AddSqliteStores</c> and
/// <c>AddPostgreSqlStores</c> persist here unless the host persists it elsewhere.
/// </summary>
public abstract class SentinelDbContext : DbContext, IDataProtectionKeyContext
{
    /// <summary>Creates the context.</summary>
    protected SentinelDbContext(DbContextOptions options) : base(options)
    {
    }

    /// <summary>User accounts.</summary>
    public DbSet<SentinelUser> Users => Set<SentinelUser>();

    /// <summary>Sessions (refresh-token families).</summary>
    public DbSet<Sentinel.Sessions.SentinelSession> Sessions => Set<Sentinel.Sessions.SentinelSession>();

    /// <summary>The Data Protection key ring: the keys that encrypt signing keys and TOTP secrets at rest.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.UseSentinel();
        modelBuilder.Entity<DataProtectionKey>().ToTable("sentinel_data_protection_keys");
    }
}

/// <summary>Sentinel's tables on SQLite, with migrations (the embedded default).</summary>
public sealed class SentinelSqliteDbContext(DbContextOptions<SentinelSqliteDbContext> options) : SentinelDbContext(options);

/// <summary>Sentinel's tables on PostgreSQL, with migrations.</summary>
public sealed class SentinelPostgreSqlDbContext(DbContextOptions<SentinelPostgreSqlDbContext> options) : SentinelDbContext(options);

/// <summary>Lets <c>dotnet ef migrations add</c> build the SQLite context at design time.</summary>
internal sealed class SentinelSqliteDesignTimeFactory : IDesignTimeDbContextFactory<SentinelSqliteDbContext>
{
    public SentinelSqliteDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SentinelSqliteDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the PostgreSQL context at design time (no connection is opened).</summary>
internal sealed class SentinelPostgreSqlDesignTimeFactory : IDesignTimeDbContextFactory<SentinelPostgreSqlDbContext>
{
    public SentinelPostgreSqlDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SentinelPostgreSqlDbContext>().UseNpgsql("Host=localhost;Database=sentinel_design").Options);
}
