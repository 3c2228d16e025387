namespace Sentinel.RateLimiting;

/// <summary>
/// Where Sentinel's own budgets are counted when they must hold across several instances: the per-key request
/// budgets of API keys (<see cref="ApiKeys.ApiKeyOptions.RateLimitPermits"/>) and the emails sent to one mailbox per
/// hour (<see cref="Email.EmailOptions.MaxEmailsPerAddressPerHour"/>). Without one, each instance counts in its own
/// memory; Sentinel.Redis registers one that counts in Redis.
/// </summary>
public interface IRateLimitCounterStore
{
    /// <summary>False while the shared counts cannot be reached: each instance then counts in its own memory.</summary>
    bool IsAvailable { get; }

    /// <summary>
    /// Takes one permit from the fixed window of <paramref name="key"/> (Sentinel's keys carry no secret and no
    /// address in clear): null when granted, else how long until the window has room again. Must not throw when the
    /// backend fails: grant, and report unavailable until it is back.
    /// </summary>
    ValueTask<TimeSpan?> TryAcquireAsync(string key, int permitLimit, TimeSpan window, CancellationToken cancellationToken);
}
