using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Sentinel.Sessions;

namespace Sentinel.EntityFramework.Sessions;

/// <summary>Maps <see cref="SentinelSession"/> to <c>sentinel_sessions</c>.</summary>
public sealed class SentinelSessionConfiguration : IEntityTypeConfiguration<SentinelSession>
{
    /// <inheritdoc />
    public void Configure(EntityTypeBuilder<SentinelSession> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ToTable("sentinel_sessions");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Id).ValueGeneratedNever();
        builder.HasIndex(s => s.UserId);
        builder.HasIndex(s => s.RevokedAt);
        builder.Property(s => s.IpAddress).HasMaxLength(512);
        builder.Property(s => s.UserAgent).HasMaxLength(512);
        builder.Property(s => s.RevokedReason).HasMaxLength(64);
        builder.PrimitiveCollection(s => s.AuthenticationMethods).IsRequired();
    }
}

/// <summary>Maps <see cref="RefreshTokenRecord"/> to <c>sentinel_refresh_tokens</c>, keyed by the token's hash.</summary>
public sealed class RefreshTokenConfiguration : IEntityTypeConfiguration<RefreshTokenRecord>
{
    /// <inheritdoc />
    public void Configure(EntityTypeBuilder<RefreshTokenRecord> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ToTable("sentinel_refresh_tokens");
        builder.HasKey(t => t.Hash);
        builder.Property(t => t.Hash).HasMaxLength(64);
        builder.HasIndex(t => t.SessionId);
        builder.HasIndex(t => t.ExpiresAt);
    }
}
