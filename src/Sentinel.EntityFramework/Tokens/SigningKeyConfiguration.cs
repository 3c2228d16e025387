using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Sentinel.Tokens;

namespace Sentinel.EntityFramework.Tokens;

/// <summary>Maps <see cref="SigningKeyRecord"/> to <c>sentinel_signing_keys</c>.</summary>
public sealed class SigningKeyConfiguration : IEntityTypeConfiguration<SigningKeyRecord>
{
    /// <inheritdoc />
    public void Configure(EntityTypeBuilder<SigningKeyRecord> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ToTable("sentinel_signing_keys");
        builder.HasKey(k => k.Id);
        builder.Property(k => k.Id).HasMaxLength(64);
        builder.Property(k => k.Algorithm).HasMaxLength(16).IsRequired();
        builder.Property(k => k.ProtectedPrivateKey).IsRequired();
        builder.Property(k => k.PublicKey).IsRequired();
    }
}

/// <summary><see cref="ISigningKeyStore"/> over a context that maps Sentinel.</summary>
/// <typeparam name="TContext">The context.</typeparam>
public sealed class EntityFrameworkSigningKeyStore<TContext>(TContext context) : ISigningKeyStore where TContext : DbContext
{
    private DbSet<SigningKeyRecord> Keys => context.Set<SigningKeyRecord>();

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken) =>
        await Keys.AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask AddAsync(SigningKeyRecord key, CancellationToken cancellationToken) =>
        await context.AddAndSaveAsync(cancellationToken, key).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        await Keys.Where(k => k.ExpiresAt <= now).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
}
