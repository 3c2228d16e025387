using Microsoft.Extensions.DependencyInjection;
using Sentinel.Sessions;
using Sentinel.Tokens;
using Sentinel.Users;

namespace Sentinel;

/// <summary>Brings Sentinel's in-memory state up to date with its stores: signing keys and revocations.</summary>
public static class SentinelInitializer
{
    /// <summary>
    /// Loads (or creates) the signing keys and the revocations whose access tokens may still be alive. ASP.NET Core
    /// hosts run it at start and then periodically; other hosts call it once after building the provider.
    /// </summary>
    public static async Task InitializeSentinelAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        await services.GetRequiredService<SigningKeyRing>().RefreshNowAsync(cancellationToken).ConfigureAwait(false);

        var revocations = services.GetRequiredService<RevocationList>();
        var since = revocations.RelevantSince;
        var scope = services.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            foreach (var revoked in await scope.ServiceProvider.GetRequiredService<ISessionStore>().ListRevokedSinceAsync(since, cancellationToken).ConfigureAwait(false))
            {
                revocations.RevokeSession(revoked.SessionId, revoked.RevokedAt);
            }

            foreach (var (userId, validAfter) in await scope.ServiceProvider.GetRequiredService<IUserStore>().ListSecurityValidAfterSinceAsync(since, cancellationToken).ConfigureAwait(false))
            {
                revocations.RevokeUserTokensBefore(userId, validAfter);
            }
        }
    }
}
