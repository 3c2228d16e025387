namespace Sentinel.Cluster;

/// <summary>How an instance learns of revocations made through the others.</summary>
public sealed class ClusterOptions
{
    /// <summary>
    /// How often revocations are read from the store (default 1 minute): the longest a revocation made through
    /// another instance can go unseen here when no message carried it (no Redis, or a lost message). Each read
    /// fetches only what changed since the last one.
    /// </summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromMinutes(1);
}
