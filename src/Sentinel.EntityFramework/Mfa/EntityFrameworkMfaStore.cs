using Microsoft.EntityFrameworkCore;
using Sentinel.Mfa;
using Sentinel.Users;

namespace Sentinel.EntityFramework.Mfa;

/// <summary>
/// <see cref="IMfaStore"/> over a context that maps Sentinel. Advancing the TOTP step, using a recovery code and
/// redeeming a challenge are single conditional UPDATE statements.
/// </summary>
/// <typeparam name="TContext">The context.</typeparam>
public sealed class EntityFrameworkMfaStore<TContext>(TContext context) : IMfaStore where TContext : DbContext
{
    private DbSet<MfaRegistration> Registrations => context.Set<MfaRegistration>();

    private DbSet<RecoveryCodeRecord> Codes => context.Set<RecoveryCodeRecord>();

    private DbSet<MfaChallenge> Challenges => context.Set<MfaChallenge>();

    /// <inheritdoc />
    public async ValueTask<MfaRegistration?> FindAsync(Guid userId, CancellationToken cancellationToken) =>
        await Registrations.AsNoTracking().FirstOrDefaultAsync(r => r.UserId == userId, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<StoreWriteResult> SaveAsync(MfaRegistration registration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        var expected = registration.ConcurrencyStamp;
        var isNew = expected.Length == 0;
        var entry = isNew ? Registrations.Add(registration) : Registrations.Attach(registration);
        if (!isNew)
        {
            entry.State = EntityState.Modified;
            entry.Property(r => r.ConcurrencyStamp).OriginalValue = expected;
        }

        entry.Property(r => r.ConcurrencyStamp).CurrentValue = Guid.NewGuid().ToString("N");
        try
        {
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return StoreWriteResult.Success;
        }
        catch (DbUpdateException)
        {
            // A concurrent insert (duplicate key) or a stale stamp: either way, re-read and try again.
            registration.ConcurrencyStamp = expected;
            return StoreWriteResult.Conflict;
        }
        finally
        {
            entry.State = EntityState.Detached;
        }
    }

    /// <inheritdoc />
    public async ValueTask DeleteAsync(Guid userId, CancellationToken cancellationToken)
    {
        await Codes.Where(c => c.UserId == userId).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        await Registrations.Where(r => r.UserId == userId).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> TryAdvanceStepAsync(Guid userId, long timeStep, CancellationToken cancellationToken) =>
        await Registrations.Where(r => r.UserId == userId && r.LastUsedStep < timeStep)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.LastUsedStep, timeStep), cancellationToken).ConfigureAwait(false) == 1;

    /// <inheritdoc />
    public async ValueTask ReplaceRecoveryCodesAsync(Guid userId, IReadOnlyList<RecoveryCodeRecord> codes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(codes);
        var transaction = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            await Codes.Where(c => c.UserId == userId).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
            await context.AddAndSaveAsync(cancellationToken, [.. codes]).ConfigureAwait(false);

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RecoveryCodeRecord>> ListUnusedRecoveryCodesAsync(Guid userId, CancellationToken cancellationToken) =>
        await Codes.AsNoTracking().Where(c => c.UserId == userId && c.UsedAt == null).OrderBy(c => c.Id)
            .ToListAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<bool> TryUseRecoveryCodeAsync(Guid codeId, DateTimeOffset now, CancellationToken cancellationToken) =>
        await Codes.Where(c => c.Id == codeId && c.UsedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.UsedAt, now), cancellationToken).ConfigureAwait(false) == 1;

    /// <inheritdoc />
    public async ValueTask CreateChallengeAsync(MfaChallenge challenge, CancellationToken cancellationToken) =>
        await context.AddAndSaveAsync(cancellationToken, challenge).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<MfaChallenge?> FindChallengeAsync(Guid challengeId, CancellationToken cancellationToken) =>
        await Challenges.AsNoTracking().FirstOrDefaultAsync(c => c.Id == challengeId, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask RecordChallengeFailureAsync(Guid challengeId, CancellationToken cancellationToken) =>
        await Challenges.Where(c => c.Id == challengeId)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.FailedAttempts, c => c.FailedAttempts + 1), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<bool> TryRedeemChallengeAsync(Guid challengeId, DateTimeOffset now, int maxFailures, CancellationToken cancellationToken) =>
        await Challenges.Where(c => c.Id == challengeId && c.RedeemedAt == null && c.ExpiresAt > now && c.FailedAttempts < maxFailures)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.RedeemedAt, now), cancellationToken).ConfigureAwait(false) == 1;

    /// <inheritdoc />
    public async ValueTask<int> DeleteExpiredChallengesAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        await Challenges.Where(c => c.ExpiresAt < before).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
}
