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

    /// <summary>Adds what is wrong with these settings to <paramref name="result"/>, each with its configuration key and how to fix it.</summary>
    internal void Validate(Microsoft.Extensions.Options.ValidateOptionsResultBuilder result)
    {
        if (ReloadInterval <= TimeSpan.Zero || ReloadInterval > TimeSpan.FromHours(1))
        {
            result.AddError("must be positive and at most an hour, for example 00:01:00: it bounds how long another instance's revocation can go unseen.", "Sentinel:Cluster:ReloadInterval");
        }
    }
}
