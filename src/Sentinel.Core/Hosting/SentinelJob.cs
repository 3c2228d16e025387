namespace Sentinel.Hosting;

/// <summary>
/// One piece of Sentinel's periodic work (reading revocations, rotating keys, pruning). <see cref="SentinelMaintenance"/>
/// runs each when it is due, each with its own error handling, so one that fails does not hold up the others. A host
/// can register its own (<c>services.AddSingleton&lt;SentinelJob, MyJob&gt;()</c>); tests call <see cref="RunOnceAsync"/>.
/// </summary>
public abstract class SentinelJob
{
    /// <summary>A short, stable name for logs (closed set for Sentinel's own jobs).</summary>
    public abstract string Name { get; }

    /// <summary>How often it runs.</summary>
    public abstract TimeSpan Interval { get; }

    /// <summary>Does the work once, now.</summary>
    public abstract Task RunOnceAsync(CancellationToken cancellationToken);

    /// <summary>Writes what the job holds in memory when the host stops, so nothing counted is lost. Nothing by default.</summary>
    public virtual Task FlushAtStopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
