using Microsoft.EntityFrameworkCore;
using Sentinel.Users;

namespace Sentinel.EntityFramework.Users;

/// <summary>
/// <see cref="IUserStore"/> over any <see cref="DbContext"/> that maps Sentinel (<c>modelBuilder.UseSentinel()</c>).
/// Reads are untracked; writes attach, save and detach so that one scoped context serves many calls.
/// </summary>
/// <typeparam name="TContext">The host's context or a shipped Sentinel context.</typeparam>
public sealed class EntityFrameworkUserStore<TContext> : IUserStore where TContext : DbContext
{
    private readonly TContext _context;

    /// <summary>Creates the store over <paramref name="context"/>.</summary>
    public EntityFrameworkUserStore(TContext context) => _context = context;

    private DbSet<SentinelUser> Users => _context.Set<SentinelUser>();

    /// <inheritdoc />
    public async ValueTask<SentinelUser?> FindByIdAsync(Guid id, CancellationToken cancellationToken) =>
        await Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<SentinelUser?> FindByNormalizedEmailAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        var user = await Users.AsNoTracking().FirstOrDefaultAsync(u => u.NormalizedEmail == normalizedEmail, cancellationToken).ConfigureAwait(false);
        // Re-compare ordinally: a database collation may match case-insensitively.
        return user is not null && string.Equals(user.NormalizedEmail, normalizedEmail, StringComparison.Ordinal) ? user : null;
    }

    /// <inheritdoc />
    public async ValueTask<StoreWriteResult> CreateAsync(SentinelUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var previousStamp = user.ConcurrencyStamp;
        user.ConcurrencyStamp = Guid.NewGuid().ToString("N");
        var entry = Users.Add(user);
        try
        {
            await _context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return StoreWriteResult.Success;
        }
        catch (DbUpdateException)
        {
            user.ConcurrencyStamp = previousStamp;
            entry.State = EntityState.Detached;
            if (await IsTakenAsync(user, cancellationToken).ConfigureAwait(false))
            {
                return StoreWriteResult.Duplicate;
            }

            throw;
        }
        finally
        {
            entry.State = EntityState.Detached;
        }
    }

    /// <inheritdoc />
    public async ValueTask<StoreWriteResult> UpdateAsync(SentinelUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var expectedStamp = user.ConcurrencyStamp;
        var entry = Users.Attach(user);
        entry.State = EntityState.Modified;
        var stamp = entry.Property(u => u.ConcurrencyStamp);
        stamp.OriginalValue = expectedStamp;
        stamp.CurrentValue = Guid.NewGuid().ToString("N");
        try
        {
            await _context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return StoreWriteResult.Success;
        }
        catch (DbUpdateConcurrencyException)
        {
            user.ConcurrencyStamp = expectedStamp;
            return await Users.AsNoTracking().AnyAsync(u => u.Id == user.Id, cancellationToken).ConfigureAwait(false)
                ? StoreWriteResult.Conflict
                : StoreWriteResult.NotFound;
        }
        catch (DbUpdateException)
        {
            user.ConcurrencyStamp = expectedStamp;
            entry.State = EntityState.Detached;
            if (await Users.AsNoTracking().AnyAsync(u => u.NormalizedEmail == user.NormalizedEmail && u.Id != user.Id, cancellationToken).ConfigureAwait(false))
            {
                return StoreWriteResult.Duplicate;
            }

            throw;
        }
        finally
        {
            entry.State = EntityState.Detached;
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<(Guid UserId, DateTimeOffset ValidAfter)>> ListSecurityValidAfterSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var rows = await Users.AsNoTracking().Where(u => u.SecurityValidAfter > since)
            .Select(u => new { u.Id, u.SecurityValidAfter }).ToListAsync(cancellationToken).ConfigureAwait(false);
        return rows.Select(r => (r.Id, r.SecurityValidAfter)).ToList();
    }

    private Task<bool> IsTakenAsync(SentinelUser user, CancellationToken cancellationToken) =>
        Users.AsNoTracking().AnyAsync(u => u.Id == user.Id || u.NormalizedEmail == user.NormalizedEmail, cancellationToken);
}
