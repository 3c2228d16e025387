using Microsoft.Extensions.Logging;
using Sentinel.Diagnostics;
using Sentinel.Users;

namespace Sentinel.Storage;

/// <summary>
/// Read, change, write, and again on an optimistic-concurrency conflict: the one retry loop for rows that several
/// requests change at once (a user's counters, a two-factor registration).
/// </summary>
internal static class ConcurrentUpdate
{
    /// <summary>Attempts before giving up; a conflict means another writer won, so a few suffice.</summary>
    public const int MaxAttempts = 10;

    /// <summary>
    /// Reads the row, applies <paramref name="change"/> (which may refuse with an error), writes it, and repeats on
    /// <see cref="StoreWriteResult.Conflict"/>. A missing row is <paramref name="notFound"/>; a unique value taken is
    /// <paramref name="duplicate"/>.
    /// </summary>
    public static async Task<SentinelResult<T>> RunAsync<T>(
        Func<CancellationToken, ValueTask<T?>> read,
        Func<T, SentinelError?> change,
        Func<T, CancellationToken, ValueTask<StoreWriteResult>> write,
        SentinelError notFound,
        SentinelError duplicate,
        string what,
        ILogger logger,
        CancellationToken cancellationToken) where T : class
    {
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var row = await read(cancellationToken).ConfigureAwait(false);
            if (row is null)
            {
                return notFound;
            }

            if (change(row) is { } error)
            {
                return error;
            }

            switch (await write(row, cancellationToken).ConfigureAwait(false))
            {
                case StoreWriteResult.Success:
                    return SentinelResult.Success(row);
                case StoreWriteResult.NotFound:
                    return notFound;
                case StoreWriteResult.Duplicate:
                    return duplicate;
                case StoreWriteResult.Conflict:
                default:
                    continue;
            }
        }

        Log.UpdateConflict(logger, what, MaxAttempts);
        throw new InvalidOperationException($"{what} kept changing under concurrent writes; gave up after {MaxAttempts} attempts.");
    }

    private static readonly SentinelError UserNotFound = new(SentinelErrorCode.NotFound, "The user does not exist.");
    private static readonly SentinelError EmailTaken = new(SentinelErrorCode.EmailTaken, "An account with this email already exists.");

    /// <summary>Reads, changes and writes a user, retrying on conflicts.</summary>
    public static Task<SentinelResult<SentinelUser>> UpdateUserAsync(
        this IUserStore store, Guid userId, Func<SentinelUser, SentinelError?> change, ILogger logger, CancellationToken cancellationToken) =>
        RunAsync(
            ct => store.FindByIdAsync(userId, ct),
            change,
            store.UpdateAsync,
            UserNotFound,
            EmailTaken,
            $"User {userId}",
            logger,
            cancellationToken);
}
