using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Sentinel.Mfa;

namespace Sentinel.EntityFramework.Mfa;

/// <summary>Maps <see cref="MfaRegistration"/> to <c>sentinel_mfa</c> (one row per user).</summary>
public sealed class MfaRegistrationConfiguration : IEntityTypeConfiguration<MfaRegistration>
{
    /// <inheritdoc />
    public void Configure(EntityTypeBuilder<MfaRegistration> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ToTable("sentinel_mfa");
        builder.HasKey(r => r.UserId);
        builder.Property(r => r.UserId).ValueGeneratedNever();
        builder.Property(r => r.ConcurrencyStamp).HasMaxLength(64).IsRequired().IsConcurrencyToken();
        builder.Ignore(r => r.IsEnabled);
    }
}

/// <summary>Maps <see cref="RecoveryCodeRecord"/> to <c>sentinel_recovery_codes</c>.</summary>
public sealed class RecoveryCodeConfiguration : IEntityTypeConfiguration<RecoveryCodeRecord>
{
    /// <inheritdoc />
    public void Configure(EntityTypeBuilder<RecoveryCodeRecord> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ToTable("sentinel_recovery_codes");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).ValueGeneratedNever();
        builder.HasIndex(c => c.UserId);
        builder.Property(c => c.Hash).HasMaxLength(256).IsRequired();
    }
}

/// <summary>Maps <see cref="MfaChallenge"/> to <c>sentinel_mfa_challenges</c>.</summary>
public sealed class MfaChallengeConfiguration : IEntityTypeConfiguration<MfaChallenge>
{
    /// <inheritdoc />
    public void Configure(EntityTypeBuilder<MfaChallenge> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ToTable("sentinel_mfa_challenges");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).ValueGeneratedNever();
        builder.Property(c => c.SecurityStamp).HasMaxLength(64).IsRequired();
        builder.Property(c => c.DeviceTokenHash).HasMaxLength(64);
        builder.HasIndex(c => c.ExpiresAt);
    }
}
