using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Sentinel.Passkeys;

namespace Sentinel.EntityFramework.Passkeys;

/// <summary>Maps <see cref="PasskeyCredential"/> to <c>sentinel_passkeys</c>, with a unique index on the credential id.</summary>
public sealed class PasskeyCredentialConfiguration : IEntityTypeConfiguration<PasskeyCredential>
{
    /// <inheritdoc />
    public void Configure(EntityTypeBuilder<PasskeyCredential> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ToTable("sentinel_passkeys");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Id).ValueGeneratedNever();
        builder.Property(p => p.CredentialId).HasMaxLength(1023).IsRequired(); // WebAuthn caps credential ids at 1023 bytes
        builder.Property(p => p.PublicKey).IsRequired();
        builder.PrimitiveCollection(p => p.Transports).IsRequired();
        builder.Property(p => p.AttestationFormat).HasMaxLength(32).IsRequired();
        builder.Property(p => p.Name).HasMaxLength(100).IsRequired();
        builder.HasIndex(p => p.CredentialId).IsUnique();
        builder.HasIndex(p => p.UserId);
    }
}

/// <summary>Maps <see cref="PasskeyChallenge"/> to <c>sentinel_passkey_challenges</c>, with a unique index on the challenge's hash.</summary>
public sealed class PasskeyChallengeConfiguration : IEntityTypeConfiguration<PasskeyChallenge>
{
    /// <inheritdoc />
    public void Configure(EntityTypeBuilder<PasskeyChallenge> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ToTable("sentinel_passkey_challenges");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).ValueGeneratedNever();
        builder.Property(c => c.ChallengeHash).HasMaxLength(64).IsRequired();
        builder.Property(c => c.SecurityStamp).HasMaxLength(64).IsRequired();
        builder.Property(c => c.OptionsJson).IsRequired();
        builder.HasIndex(c => c.ChallengeHash).IsUnique();
        builder.HasIndex(c => c.ExpiresAt);
    }
}

/// <summary>
/// <see cref="IPasskeyStore"/> over a context that maps Sentinel. Registering relies on the unique index (a second
/// registration of a credential id loses), and the counter and the challenge move with single conditional UPDATEs.
/// </summary>
/// <typeparam name="TContext">The context.</typeparam>
public sealed class EntityFrameworkPasskeyStore<TContext>(TContext context) : IPasskeyStore where TContext : DbContext
{
    private DbSet<PasskeyCredential> Passkeys => context.Set<PasskeyCredential>();

    private DbSet<PasskeyChallenge> Challenges => context.Set<PasskeyChallenge>();

    /// <inheritdoc />
    public async ValueTask<bool> TryAddAsync(PasskeyCredential passkey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(passkey);
        try
        {
            await context.AddAndSaveAsync(cancellationToken, passkey).ConfigureAwait(false);
            return true;
        }
        catch (DbUpdateException)
        {
            // The unique index: registered already, perhaps a moment ago by another instance. Anything else rethrows.
            if (await FindByCredentialIdAsync(passkey.CredentialId, cancellationToken).ConfigureAwait(false) is not null)
            {
                return false;
            }

            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask<PasskeyCredential?> FindByCredentialIdAsync(byte[] credentialId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credentialId);
        var found = await Passkeys.AsNoTracking().FirstOrDefaultAsync(p => p.CredentialId == credentialId, cancellationToken).ConfigureAwait(false);
        return found is not null && found.CredentialId.AsSpan().SequenceEqual(credentialId) ? found : null;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<PasskeyCredential>> ListAsync(Guid userId, CancellationToken cancellationToken) =>
        await Passkeys.AsNoTracking().Where(p => p.UserId == userId).OrderBy(p => p.CreatedAt).ThenBy(p => p.Id)
            .ToListAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<bool> TryRecordUseAsync(Guid id, long expectedSignCount, long signCount, bool isBackedUp, DateTimeOffset usedAt, CancellationToken cancellationToken) =>
        await Passkeys.Where(p => p.Id == id && p.SignCount == expectedSignCount)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.SignCount, signCount).SetProperty(p => p.IsBackedUp, isBackedUp).SetProperty(p => p.LastUsedAt, usedAt), cancellationToken)
            .ConfigureAwait(false) == 1;

    /// <inheritdoc />
    public async ValueTask<bool> RenameAsync(Guid userId, Guid id, string name, CancellationToken cancellationToken) =>
        await Passkeys.Where(p => p.Id == id && p.UserId == userId)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.Name, name), cancellationToken).ConfigureAwait(false) == 1;

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(Guid userId, Guid id, CancellationToken cancellationToken) =>
        await Passkeys.Where(p => p.Id == id && p.UserId == userId).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false) == 1;

    /// <inheritdoc />
    public async ValueTask CreateChallengeAsync(PasskeyChallenge challenge, CancellationToken cancellationToken) =>
        await context.AddAndSaveAsync(cancellationToken, challenge).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<PasskeyChallenge?> FindChallengeAsync(string challengeHash, CancellationToken cancellationToken)
    {
        var found = await Challenges.AsNoTracking().FirstOrDefaultAsync(c => c.ChallengeHash == challengeHash, cancellationToken).ConfigureAwait(false);
        // Re-compare ordinally: a database collation may match case-insensitively.
        return found is not null && string.Equals(found.ChallengeHash, challengeHash, StringComparison.Ordinal) ? found : null;
    }

    /// <inheritdoc />
    public async ValueTask<bool> TrySpendChallengeAsync(Guid id, DateTimeOffset now, CancellationToken cancellationToken) =>
        await Challenges.Where(c => c.Id == id && c.UsedAt == null && c.ExpiresAt > now)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.UsedAt, now), cancellationToken).ConfigureAwait(false) == 1;

    /// <inheritdoc />
    public async ValueTask<int> DeleteExpiredChallengesAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        await Challenges.Where(c => c.ExpiresAt < before).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
}
