using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Sentinel.Email;

namespace Sentinel.EntityFramework.Email;

/// <summary>Maps <see cref="OneTimeTokenRecord"/> to <c>sentinel_one_time_tokens</c> with a unique index on the hash.</summary>
public sealed class OneTimeTokenConfiguration : IEntityTypeConfiguration<OneTimeTokenRecord>
{
    /// <inheritdoc />
    public void Configure(EntityTypeBuilder<OneTimeTokenRecord> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ToTable("sentinel_one_time_tokens");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Id).ValueGeneratedNever();
        builder.Property(t => t.Hash).HasMaxLength(64).IsRequired();
        builder.Property(t => t.SecurityStamp).HasMaxLength(64).IsRequired();
        builder.HasIndex(t => t.Hash).IsUnique();
        builder.HasIndex(t => new { t.UserId, t.Purpose });
        builder.HasIndex(t => t.ExpiresAt);
    }
}

/// <summary><see cref="IOneTimeTokenStore"/> over a context that maps Sentinel; spending is one conditional UPDATE.</summary>
/// <typeparam name="TContext">The context.</typeparam>
public sealed class EntityFrameworkOneTimeTokenStore<TContext>(TContext context) : IOneTimeTokenStore where TContext : DbContext
{
    private DbSet<OneTimeTokenRecord> Tokens => context.Set<OneTimeTokenRecord>();

    /// <inheritdoc />
    public async ValueTask CreateAsync(OneTimeTokenRecord token, CancellationToken cancellationToken) =>
        await context.AddAndSaveAsync(cancellationToken, token).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<OneTimeTokenRecord?> FindAsync(string hash, OneTimeTokenPurpose purpose, CancellationToken cancellationToken)
    {
        var token = await Tokens.AsNoTracking().FirstOrDefaultAsync(t => t.Hash == hash && t.Purpose == purpose, cancellationToken).ConfigureAwait(false);
        return token is not null && string.Equals(token.Hash, hash, StringComparison.Ordinal) ? token : null;
    }

    /// <inheritdoc />
    public async ValueTask<bool> SpendAsync(Guid id, DateTimeOffset now, CancellationToken cancellationToken) =>
        await Tokens.Where(t => t.Id == id && t.UsedAt == null && t.ExpiresAt > now)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.UsedAt, now), cancellationToken).ConfigureAwait(false) == 1;

    /// <inheritdoc />
    public async ValueTask RevokeAllAsync(Guid userId, OneTimeTokenPurpose purpose, DateTimeOffset now, CancellationToken cancellationToken) =>
        await Tokens.Where(t => t.UserId == userId && t.Purpose == purpose && t.UsedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.UsedAt, now), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<int> DeleteExpiredAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        await Tokens.Where(t => t.ExpiresAt < before).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
}
