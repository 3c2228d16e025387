using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Sentinel.Users;

namespace Sentinel.EntityFramework.Users;

/// <summary>Maps <see cref="SentinelUser"/> to the <c>sentinel_users</c> table.</summary>
public sealed class SentinelUserConfiguration : IEntityTypeConfiguration<SentinelUser>
{
    /// <inheritdoc />
    public void Configure(EntityTypeBuilder<SentinelUser> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ToTable("sentinel_users");
        builder.HasKey(u => u.Id);
        builder.Property(u => u.Id).ValueGeneratedNever();
        builder.Property(u => u.Email).HasMaxLength(256).IsRequired();
        builder.Property(u => u.NormalizedEmail).HasMaxLength(256).IsRequired();
        builder.HasIndex(u => u.NormalizedEmail).IsUnique();
        // Every instance reads the users whose "valid after" moved since its last read, once a minute.
        builder.HasIndex(u => u.SecurityValidAfter);
        builder.Property(u => u.PasswordHash).HasMaxLength(1024).IsRequired();
        builder.PrimitiveCollection(u => u.Roles).IsRequired();
        builder.Property(u => u.ConcurrencyStamp).HasMaxLength(64).IsRequired().IsConcurrencyToken();
        builder.Property(u => u.SecurityStamp).HasMaxLength(64).IsRequired();
        builder.Property(u => u.PasskeyUserHandle).HasMaxLength(64);
        builder.HasIndex(u => u.PasskeyUserHandle).IsUnique();
    }
}
