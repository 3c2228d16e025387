namespace Sentinel.Cluster;

/// <summary>
/// What a cluster transport (the Redis package, or a host's own bus) hands the changes of other instances to. It is the
/// receiving side of <see cref="IClusterChannel"/>: the transport never touches this instance's caches itself.
/// </summary>
public interface IClusterChangeReceiver
{
    /// <summary>
    /// Applies a change another instance made. <paramref name="sentAt"/> (when it was sent, by the sender's clock) feeds
    /// the propagation-lag metric. Kinds this version does not know are ignored. Applying never publishes again, so a
    /// message does not echo between instances.
    /// </summary>
    ValueTask ApplyAsync(ClusterChange change, DateTimeOffset? sentAt = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads from the stores what changed since the last read. A transport calls it after (re)subscribing and while it
    /// cannot receive, so nothing published while it was not listening is missed.
    /// </summary>
    ValueTask CatchUpAsync(CancellationToken cancellationToken = default);
}
