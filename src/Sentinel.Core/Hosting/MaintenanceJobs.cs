using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sentinel.ApiKeys;
using Sentinel.Audit;
using Sentinel.Cluster;
using Sentinel.Diagnostics;
using Sentinel.Email;
using Sentinel.Mfa;
using Sentinel.Sessions;
using Sentinel.Tokens;

namespace Sentinel.Hosting;

/// <summary>Reads revocations made through other instances from the stores (every <see cref="ClusterOptions.ReloadInterval"/>).</summary>
internal sealed class RevocationSyncJob(RevocationSync sync, SentinelMetrics metrics, IOptions<SentinelOptions> options) : SentinelJob
{
    /// <inheritdoc />
    public override string Name => "revocation_sync";

    /// <inheritdoc />
    public override TimeSpan Interval => options.Value.Cluster.ReloadInterval;

    /// <inheritdoc />
    public override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await sync.ReadAsync(full: false, cancellationToken).ConfigureAwait(false);
        metrics.ClusterReload("interval");
    }
}

/// <summary>Writes API key usage (<c>lastUsedAt</c>, <c>apikey.used</c>) counted in memory, every minute and at stop.</summary>
internal sealed class ApiKeyUsageJob(IServiceScopeFactory scopes) : SentinelJob
{
    /// <inheritdoc />
    public override string Name => "apikey_usage";

    /// <inheritdoc />
    public override TimeSpan Interval => TimeSpan.FromMinutes(1);

    /// <inheritdoc />
    public override Task RunOnceAsync(CancellationToken cancellationToken) => FlushAsync(all: false, cancellationToken);

    /// <inheritdoc />
    public override Task FlushAtStopAsync(CancellationToken cancellationToken) => FlushAsync(all: true, cancellationToken);

    private async Task FlushAsync(bool all, CancellationToken cancellationToken)
    {
        var scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            await scope.ServiceProvider.GetRequiredService<ApiKeyService>().FlushUsageAsync(all, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Writes the refusals counted in memory (<c>apikey.rejected</c>, <c>rate_limit.exceeded</c>; SECURITY A5), every minute and at stop.</summary>
internal sealed class RefusalFlushJob(AuditRecorder audit) : SentinelJob
{
    /// <inheritdoc />
    public override string Name => "refusal_flush";

    /// <inheritdoc />
    public override TimeSpan Interval => audit.RefusalWindow;

    /// <inheritdoc />
    public override Task RunOnceAsync(CancellationToken cancellationToken) => audit.FlushRefusalsAsync(all: false, cancellationToken);

    /// <inheritdoc />
    public override Task FlushAtStopAsync(CancellationToken cancellationToken) => audit.FlushRefusalsAsync(all: true, cancellationToken);
}

/// <summary>Rotates signing keys on schedule and loads keys other instances made (every five minutes).</summary>
internal sealed class SigningKeyRotationJob(SigningKeyRing keys) : SentinelJob
{
    /// <inheritdoc />
    public override string Name => "signing_key_rotation";

    /// <inheritdoc />
    public override TimeSpan Interval => TimeSpan.FromMinutes(5);

    /// <inheritdoc />
    public override async Task RunOnceAsync(CancellationToken cancellationToken) => await keys.RefreshNowAsync(cancellationToken).ConfigureAwait(false);
}

/// <summary>
/// Deletes sessions and refresh tokens a day past their end, and drops revocations from memory once the access
/// tokens they stop have expired (every five minutes).
/// </summary>
internal sealed class SessionPruneJob(IServiceScopeFactory scopes, RevocationList revocations, TimeProvider time) : SentinelJob
{
    /// <inheritdoc />
    public override string Name => "session_prune";

    /// <inheritdoc />
    public override TimeSpan Interval => TimeSpan.FromMinutes(5);

    /// <inheritdoc />
    public override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        revocations.Prune();
        var scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            await scope.ServiceProvider.GetRequiredService<ISessionStore>()
                .DeleteExpiredAsync(time.GetUtcNow() - TimeSpan.FromDays(1), cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// Prunes audit events past retention (the anchor moves, the rest still verifies) and logs the chain's head when it
/// moved (event 1413), a copy that leaves the database for <see cref="AuditService.VerifyAsync(AuditChainHead?, CancellationToken)"/> (every five minutes).
/// </summary>
internal sealed partial class AuditPruneJob(IServiceScopeFactory scopes, ILogger<AuditPruneJob>? logger = null) : SentinelJob
{
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;
    private long _loggedHeadSequence = -1;

    /// <inheritdoc />
    public override string Name => "audit_prune";

    /// <inheritdoc />
    public override TimeSpan Interval => TimeSpan.FromMinutes(5);

    /// <inheritdoc />
    public override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var audit = scope.ServiceProvider.GetRequiredService<AuditService>();
            await audit.PruneAsync(cancellationToken).ConfigureAwait(false);
            var head = await audit.GetHeadAsync(cancellationToken).ConfigureAwait(false);
            if (head.Sequence != Interlocked.Exchange(ref _loggedHeadSequence, head.Sequence))
            {
                Head(_logger, head.Sequence, Convert.ToHexStringLower(head.Hash));
            }
        }
    }

    [LoggerMessage(1413, LogLevel.Information, "Audit chain head: sequence {Sequence}, hash {Hash}.")]
    private static partial void Head(ILogger logger, long sequence, string hash);
}

/// <summary>Deletes email tokens and MFA challenges a day past their expiry, used or not (every five minutes).</summary>
internal sealed class ExpiredTokenCleanupJob(IServiceScopeFactory scopes, TimeProvider time) : SentinelJob
{
    /// <inheritdoc />
    public override string Name => "expired_token_cleanup";

    /// <inheritdoc />
    public override TimeSpan Interval => TimeSpan.FromMinutes(5);

    /// <inheritdoc />
    public override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var before = time.GetUtcNow() - TimeSpan.FromDays(1);
        var scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            await scope.ServiceProvider.GetRequiredService<IOneTimeTokenStore>().DeleteExpiredAsync(before, cancellationToken).ConfigureAwait(false);
            await scope.ServiceProvider.GetRequiredService<IMfaStore>().DeleteExpiredChallengesAsync(before, cancellationToken).ConfigureAwait(false);
            // Spent and expired passkey challenges (a host with stores of its own may have no passkey store yet).
            if (scope.ServiceProvider.GetService<Sentinel.Passkeys.IPasskeyStore>() is { } passkeys)
            {
                await passkeys.DeleteExpiredChallengesAsync(before, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
