using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sentinel.ApiKeys;
using Microsoft.Extensions.Options;
using Sentinel.Audit;
using Sentinel.Cluster;
using Sentinel.Diagnostics;
using Sentinel.Sessions;
using Sentinel.Tokens;

namespace Sentinel.AspNetCore.Hosting;

/// <summary>
/// Loads signing keys and revocations before the host serves requests, then keeps them current: reads revocations
/// made through other instances every <see cref="Cluster.ClusterOptions.ReloadInterval"/>, writes API key usage
/// every minute, and every five minutes rotates keys on schedule, prunes what has expired (sessions, audit events
/// past retention) and logs the audit chain's head when it moved. At stop it writes API key usage and the queued
/// audit events.
/// </summary>
internal sealed partial class SentinelHostedService(
    IServiceProvider services, IOptions<SentinelOptions> options, TimeProvider time, ILogger<SentinelHostedService> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan UsagePeriod = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaintenancePeriod = TimeSpan.FromMinutes(5);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private int _disposed;
    private long _loggedHeadSequence = -1;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await services.InitializeSentinelAsync(cancellationToken).ConfigureAwait(false);
        _loop = RunAsync(_stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // A host may be stopped again after its services were disposed (WebApplicationFactory does): be idempotent.
        if (Volatile.Read(ref _disposed) == 0)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        if (_loop is not null)
        {
            await Task.WhenAny(_loop, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
        }

        try
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                await FlushApiKeyUsageAsync(all: true, cancellationToken).ConfigureAwait(false); // nothing counted is lost at shutdown
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            MaintenanceFailed(logger, e);
        }

        // Last: every audit event queued so far is written before the host exits (SECURITY A4), until the host's
        // shutdown timeout; what cannot be written by then is logged and counted, never dropped silently.
        try
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                await services.ShutdownSentinelAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ObjectDisposedException)
        {
            // Stopped again after the container was disposed (WebApplicationFactory does): disposing the container
            // already completed the email outbox and the audit writer.
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var reloadInterval = options.Value.Cluster.ReloadInterval;
        using var timer = new PeriodicTimer(reloadInterval < UsagePeriod ? reloadInterval : UsagePeriod, time);
        var start = time.GetUtcNow();
        var (nextReload, nextUsage, nextMaintenance) = (start + reloadInterval, start + UsagePeriod, start + MaintenancePeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                // Each job runs when due, so a tick that stands for several periods (a paused process) runs each once.
                var now = time.GetUtcNow();
                try
                {
                    if (now >= nextReload)
                    {
                        nextReload = now + reloadInterval;
                        await services.GetRequiredService<RevocationSync>().ReadAsync(full: false, stopping).ConfigureAwait(false);
                        services.GetRequiredService<SentinelMetrics>().ClusterReload("interval");
                    }

                    if (now >= nextUsage)
                    {
                        nextUsage = now + UsagePeriod;
                        await FlushApiKeyUsageAsync(all: false, stopping).ConfigureAwait(false);
                    }

                    if (now >= nextMaintenance)
                    {
                        nextMaintenance = now + MaintenancePeriod;
                        await MaintainAsync(stopping).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    MaintenanceFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task MaintainAsync(CancellationToken stopping)
    {
        await services.GetRequiredService<SigningKeyRing>().RefreshNowAsync(stopping).ConfigureAwait(false);
        services.GetRequiredService<RevocationList>().Prune();
        var scope = services.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            await scope.ServiceProvider.GetRequiredService<ISessionStore>()
                .DeleteExpiredAsync(time.GetUtcNow() - TimeSpan.FromDays(1), stopping).ConfigureAwait(false);
            var audit = scope.ServiceProvider.GetRequiredService<AuditService>();
            await audit.PruneAsync(stopping).ConfigureAwait(false);
            // The chain's head, into the logs, which leave the database: a witness for AuditService.VerifyAsync(head).
            var head = await audit.GetHeadAsync(stopping).ConfigureAwait(false);
            if (head.Sequence != Interlocked.Exchange(ref _loggedHeadSequence, head.Sequence))
            {
                AuditHead(logger, head.Sequence, Convert.ToHexStringLower(head.Hash));
            }

            await scope.ServiceProvider.GetRequiredService<Sentinel.Email.IOneTimeTokenStore>()
                .DeleteExpiredAsync(time.GetUtcNow() - TimeSpan.FromDays(1), stopping).ConfigureAwait(false);
        }
    }

    private async Task FlushApiKeyUsageAsync(bool all, CancellationToken cancellationToken)
    {
        var scope = services.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            await scope.ServiceProvider.GetRequiredService<ApiKeyService>().FlushUsageAsync(all, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stopping.Cancel();
            _stopping.Dispose();
        }
    }

    [LoggerMessage(1413, LogLevel.Information, "Audit chain head: sequence {Sequence}, hash {Hash}.")]
    private static partial void AuditHead(ILogger logger, long sequence, string hash);

    [LoggerMessage(2001, LogLevel.Warning, "Sentinel's periodic work (revocation reads, key rotation, pruning) failed; it will retry.")]
    private static partial void MaintenanceFailed(ILogger logger, Exception exception);
}
