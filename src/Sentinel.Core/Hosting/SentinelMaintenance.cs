using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Sentinel.Hosting;

/// <summary>
/// Sentinel's own lifecycle, for any .NET host (ASP.NET Core, a worker, a console app on the generic host): at start
/// it loads signing keys and revocations before the host serves anything; then it runs each <see cref="SentinelJob"/>
/// when due, on the host's <see cref="TimeProvider"/>, each with its own error handling; at stop it writes API key
/// usage and every queued audit event. Registered by <c>AddSentinelCore()</c> (and so by <c>AddSentinelAuth()</c>).
/// </summary>
public sealed partial class SentinelMaintenance : IHostedService, IDisposable
{
    // The loop wakes at least this often; a job runs on the first wake-up at or after it is due.
    private static readonly TimeSpan MaxTick = TimeSpan.FromMinutes(1);

    private readonly IServiceProvider _services;
    private readonly IReadOnlyList<SentinelJob> _jobs;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private int _disposed;

    /// <summary>Creates the service over the registered jobs; normally resolved from DI.</summary>
    public SentinelMaintenance(IServiceProvider services, IEnumerable<SentinelJob> jobs, TimeProvider time, ILogger<SentinelMaintenance>? logger = null)
    {
        _services = services;
        _jobs = [.. jobs];
        _time = time;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _services.InitializeSentinelAsync(cancellationToken).ConfigureAwait(false);
        _loop = RunAsync(_stopping.Token);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // A host may be stopped again after its services were disposed (WebApplicationFactory does): be idempotent.
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await Task.WhenAny(_loop, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
        }

        // What the jobs hold in memory (key usage, counted refusals) is written before the audit queue's last flush.
        foreach (var job in _jobs)
        {
            try
            {
                await job.FlushAtStopAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                JobFailed(_logger, e, job.Name);
            }
        }

        // Last: every audit event queued so far is written before the host exits (SECURITY A4), until the host's
        // shutdown timeout; what cannot be written by then is logged and counted, never dropped silently.
        try
        {
            await _services.ShutdownSentinelAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The container was disposed first: disposing it already completed the email queue and the audit writer.
        }
    }

    /// <summary>Runs every job once, now, each with its own error handling (for tests and for hosts without a loop).</summary>
    public async Task RunAllOnceAsync(CancellationToken cancellationToken)
    {
        foreach (var job in _jobs)
        {
            await RunAsync(job, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var tick = _jobs.Count == 0 ? MaxTick : _jobs.Min(j => j.Interval);
        using var timer = new PeriodicTimer(tick < MaxTick ? tick : MaxTick, _time);
        var start = _time.GetUtcNow();
        var due = _jobs.ToDictionary(j => j, j => start + j.Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                // Each job runs when due, so a tick that stands for several periods (a paused process) runs it once.
                var now = _time.GetUtcNow();
                foreach (var job in _jobs)
                {
                    if (now >= due[job])
                    {
                        due[job] = now + job.Interval;
                        await RunAsync(job, stopping).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task RunAsync(SentinelJob job, CancellationToken cancellationToken)
    {
        try
        {
            await job.RunOnceAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            JobFailed(_logger, e, job.Name); // the next job still runs, and this one again when next due
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stopping.Cancel();
            _stopping.Dispose();
        }
    }

    [LoggerMessage(2001, LogLevel.Warning, "Sentinel's periodic job {Job} failed; it will run again when next due.")]
    private static partial void JobFailed(ILogger logger, Exception exception, string job);
}
