using Microsoft.Extensions.DependencyInjection;
using Sentinel.Sessions;
using Sentinel.Users;

namespace Sentinel.Cluster;

/// <summary>
/// Reads revocations from the stores into this instance's <see cref="RevocationList"/>: all that are still relevant
/// at start (and after a lost connection to the other instances), then only what changed since the last read. The
/// stores are the source of truth; messages from other instances only make a change arrive sooner.
/// </summary>
internal sealed class RevocationSync : IDisposable
{
    // Rows are stamped by the clock of the instance that wrote them: each read reaches this far behind the previous
    // one, so an instance whose clock runs up to this much behind loses nothing (reading an entry twice is harmless).
    private static readonly TimeSpan ClockOverlap = TimeSpan.FromMinutes(2);

    private readonly IServiceScopeFactory _scopes;
    private readonly RevocationList _revocations;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DateTimeOffset? _lastReadStartedAt;

    /// <summary>Creates the reader; normally resolved from DI.</summary>
    public RevocationSync(IServiceScopeFactory scopes, RevocationList revocations, TimeProvider time)
    {
        _scopes = scopes;
        _revocations = revocations;
        _time = time;
    }

    /// <summary>
    /// Reads revocations into memory: every one whose tokens may still be alive when <paramref name="full"/> (or on the
    /// first read), otherwise those made since shortly before the previous read. Returns how many entries were read.
    /// </summary>
    public async Task<int> ReadAsync(bool full, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var startedAt = _time.GetUtcNow();
            var since = _revocations.RelevantSince;
            if (!full && _lastReadStartedAt is { } last && last - ClockOverlap > since)
            {
                since = last - ClockOverlap;
            }

            var read = 0;
            var scope = _scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                foreach (var revoked in await scope.ServiceProvider.GetRequiredService<ISessionStore>().ListRevokedSinceAsync(since, cancellationToken).ConfigureAwait(false))
                {
                    _revocations.HoldSession(revoked.SessionId, revoked.RevokedAt);
                    read++;
                }

                foreach (var (userId, validAfter) in await scope.ServiceProvider.GetRequiredService<IUserStore>().ListSecurityValidAfterSinceAsync(since, cancellationToken).ConfigureAwait(false))
                {
                    _revocations.HoldUserValidAfter(userId, validAfter);
                    read++;
                }
            }

            _lastReadStartedAt = startedAt;
            return read;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();
}
