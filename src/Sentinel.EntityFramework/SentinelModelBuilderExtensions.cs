using Sentinel.EntityFramework;
using Sentinel.EntityFramework.ApiKeys;
using Sentinel.EntityFramework.Audit;
using Sentinel.EntityFramework.Email;
using Sentinel.EntityFramework.Mfa;
using Sentinel.EntityFramework.Passkeys;
using Sentinel.EntityFramework.Sessions;
using Sentinel.EntityFramework.Tokens;
using Sentinel.EntityFramework.Users;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Adds Sentinel's tables to a host's own <see cref="DbContext"/>.</summary>
public static class SentinelModelBuilderExtensions
{
    /// <summary>
    /// Maps every Sentinel entity (tables <c>sentinel_*</c>; instants as UTC ticks). Call it from
    /// <c>OnModelCreating</c> of your context, then add a migration; or use
    /// <see cref="SentinelSqliteDbContext"/> / <see cref="SentinelPostgreSqlDbContext"/>, which ship with migrations.
    /// </summary>
    public static ModelBuilder UseSentinel(this ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.ApplyConfiguration(new SentinelUserConfiguration());
        modelBuilder.ApplyConfiguration(new SentinelSessionConfiguration());
        modelBuilder.ApplyConfiguration(new RefreshTokenConfiguration());
        modelBuilder.ApplyConfiguration(new SigningKeyConfiguration());
        modelBuilder.ApplyConfiguration(new MfaRegistrationConfiguration());
        modelBuilder.ApplyConfiguration(new RecoveryCodeConfiguration());
        modelBuilder.ApplyConfiguration(new MfaChallengeConfiguration());
        modelBuilder.ApplyConfiguration(new ApiKeyConfiguration());
        modelBuilder.ApplyConfiguration(new AuditEntryConfiguration());
        modelBuilder.ApplyConfiguration(new AuditAnchorConfiguration());
        modelBuilder.ApplyConfiguration(new OneTimeTokenConfiguration());
        modelBuilder.ApplyConfiguration(new PasskeyCredentialConfiguration());
        modelBuilder.ApplyConfiguration(new PasskeyChallengeConfiguration());

        var converter = new UtcTicksConverter();
        foreach (var entity in modelBuilder.Model.GetEntityTypes().Where(e => e.GetTableName()?.StartsWith("sentinel_", StringComparison.Ordinal) == true))
        {
            foreach (var property in entity.GetProperties().Where(p => p.ClrType == typeof(DateTimeOffset) || p.ClrType == typeof(DateTimeOffset?)))
            {
                property.SetValueConverter(converter);
            }
        }

        return modelBuilder;
    }
}
