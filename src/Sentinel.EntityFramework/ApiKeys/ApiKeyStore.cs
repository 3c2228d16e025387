using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Sentinel.ApiKeys;

namespace Sentinel.EntityFramework.ApiKeys;

/// <summary>Maps <see cref="ApiKeyRecord"/> to <c>sentinel_api_keys</c> with a unique index on the key's hash.</summary>
public sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKeyRecord>
{
    /// <inheritdoc />
    public void Configure(EntityTypeBuilder<ApiKeyRecord> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ToTable("sentinel_api_keys");
        builder.HasKey(k => k.Id);
        builder.Property(k => k.Id).ValueGeneratedNever();
        builder.Property(k => k.Hash).HasMaxLength(64).IsRequired();
        builder.HasIndex(k => k.Hash).IsUnique();
        builder.HasIndex(k => k.UserId);
        builder.Property(k => k.Name).HasMaxLength(100).IsRequired();
        builder.Property(k => k.DisplayPrefix).HasMaxLength(32).IsRequired();
        builder.PrimitiveCollection(k => k.Scopes).IsRequired();
    }
}

/// <summary><see cref="IApiKeyStore"/> over a context that maps Sentinel.</summary>
/// <typeparam name="TContext">The context.</typeparam>
public sealed class EntityFrameworkApiKeyStore<TContext>(TContext context) : IApiKeyStore where TContext : DbContext
{
    private DbSet<ApiKeyRecord> Keys => context.Set<ApiKeyRecord>();

    /// <inheritdoc />
    public async ValueTask CreateAsync(ApiKeyRecord key, CancellationToken cancellationToken) =>
        await context.AddAndSaveAsync(cancellationToken, key).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<ApiKeyRecord?> FindByHashAsync(string hash, CancellationToken cancellationToken)
    {
        var key = await Keys.AsNoTracking().FirstOrDefaultAsync(k => k.Hash == hash, cancellationToken).ConfigureAwait(false);
        return key is not null && string.Equals(key.Hash, hash, StringComparison.Ordinal) ? key : null;
    }

    /// <inheritdoc />
    public async ValueTask<ApiKeyRecord?> FindByIdAsync(Guid id, CancellationToken cancellationToken) =>
        await Keys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == id, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ApiKeyRecord>> ListByUserAsync(Guid userId, CancellationToken cancellationToken) =>
        await Keys.AsNoTracking().Where(k => k.UserId == userId).OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id)
            .ToListAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<bool> RevokeAsync(Guid id, DateTimeOffset now, CancellationToken cancellationToken) =>
        await Keys.Where(k => k.Id == id && k.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(k => k.RevokedAt, now), cancellationToken).ConfigureAwait(false) == 1;

    /// <inheritdoc />
    public async ValueTask<bool> TryReplaceAsync(Guid id, DateTimeOffset replacedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        await Keys.Where(k => k.Id == id && k.RevokedAt == null && k.ReplacedAt == null)
            .ExecuteUpdateAsync(
                u => u.SetProperty(k => k.ReplacedAt, replacedAt)
                    .SetProperty(k => k.ExpiresAt, k => k.ExpiresAt == null || k.ExpiresAt > expiresAt ? expiresAt : k.ExpiresAt),
                cancellationToken).ConfigureAwait(false) == 1;

    /// <inheritdoc />
    public async ValueTask RecordLastUsedAsync(IReadOnlyCollection<KeyValuePair<Guid, DateTimeOffset>> usage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(usage);
        // One statement per key, in one transaction: a batch per flush, never a write per request.
        var transaction = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            foreach (var (id, at) in usage)
            {
                await Keys.Where(k => k.Id == id && (k.LastUsedAt == null || k.LastUsedAt < at))
                    .ExecuteUpdateAsync(u => u.SetProperty(k => k.LastUsedAt, at), cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
