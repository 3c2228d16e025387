using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Sentinel.Users;

namespace Sentinel.EntityFramework.Users;

/// <summary>
/// Brings every stored <see cref="SentinelUser.NormalizedEmail"/> to the current <see cref="EmailNormalizer"/> form
/// (SECURITY P6). ASCII addresses normalise as before, so only addresses typed with other characters change. When two
/// accounts turn out to share a mailbox, the one holding the form keeps it, the other keeps its old value and is
/// logged (event 2302) for an operator to merge or remove: nothing is deleted.
/// </summary>
internal static partial class EmailRenormalization
{
    private const int BatchSize = 500;

    public static async Task<int> RunAsync(DbContext context, ILogger logger, CancellationToken cancellationToken)
    {
        var users = context.Set<SentinelUser>();
        var updated = 0;
        Guid? after = null;
        while (true)
        {
            var batch = await users.AsNoTracking()
                .Where(u => after == null || u.Id.CompareTo(after.Value) > 0)
                .OrderBy(u => u.Id)
                .Select(u => new { u.Id, u.Email, u.NormalizedEmail })
                .Take(BatchSize)
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                break;
            }

            after = batch[^1].Id;
            foreach (var user in batch)
            {
                var normalized = EmailNormalizer.Normalize(user.Email);
                if (string.Equals(normalized, user.NormalizedEmail, StringComparison.Ordinal))
                {
                    continue;
                }

                var holder = await users.AsNoTracking().Where(u => u.NormalizedEmail == normalized && u.Id != user.Id)
                    .Select(u => (Guid?)u.Id).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
                if (holder is { } kept)
                {
                    SharedMailbox(logger, kept, user.Id);
                    continue;
                }

                updated += await users.Where(u => u.Id == user.Id)
                    .ExecuteUpdateAsync(u => u.SetProperty(x => x.NormalizedEmail, normalized), cancellationToken).ConfigureAwait(false);
            }
        }

        Renormalized(logger, updated);
        return updated;
    }

    [LoggerMessage(2301, LogLevel.Information, "Stored emails re-normalised (NFKC, case folding, IDNA): {Updated} accounts updated.")]
    private static partial void Renormalized(ILogger logger, int updated);

    [LoggerMessage(2302, LogLevel.Warning,
        "Accounts {Kept} and {Other} are one mailbox once normalised; {Kept} keeps it, {Other} cannot sign in until an operator merges or removes one.")]
    private static partial void SharedMailbox(ILogger logger, Guid kept, Guid other);
}
