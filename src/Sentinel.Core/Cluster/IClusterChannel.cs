namespace Sentinel.Cluster;

/// <summary>
/// Tells the other instances of the host about a change this instance made (a revoked session, a revoked key).
/// Without one (a single instance) nothing is sent; the Redis package sends over pub/sub. The store already holds
/// every change before it is published, so a lost message is read from the store within
/// <see cref="ClusterOptions.ReloadInterval"/>.
/// </summary>
public interface IClusterChannel
{
    /// <summary>Sends <paramref name="change"/>. Must neither block nor throw: it runs on the request path.</summary>
    void Publish(ClusterChange change);
}

/// <summary>One instance: nothing to tell.</summary>
internal sealed class SingleInstanceChannel : IClusterChannel
{
    public void Publish(ClusterChange change)
    {
    }
}
