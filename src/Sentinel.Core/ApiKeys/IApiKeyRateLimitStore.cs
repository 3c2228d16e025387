namespace Sentinel.ApiKeys;

/// <summary>
/// Where the per-key request budgets (<see cref="ApiKeyOptions.RateLimitPermits"/> per
/// <see cref="ApiKeyOptions.RateLimitWindow"/>) are counted when they must hold across several instances. Without
/// one, each instance counts in its own memory (synchronously, on the cached-key path); Sentinel.Redis registers
/// one that counts in Redis.
/// </summary>
public interface IApiKeyRateLimitStore
{
    /// <summary>False while the shared counts cannot be reached: each instance then counts in its own memory.</summary>
    bool IsAvailable { get; }

    /// <summary>
    /// Takes <c>1</c> request from the budget of key <paramref name="keyId"/>: null when granted, else how long until
    /// the window has room again. Must not throw when the backend fails: grant, and report unavailable until it is back.
    /// </summary>
    ValueTask<TimeSpan?> TryAcquireAsync(Guid keyId, int permitLimit, TimeSpan window, CancellationToken cancellationToken);
}
