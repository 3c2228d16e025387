namespace Sentinel.Cluster;

/// <summary>What changed on one instance that every other instance must apply to what it holds in memory.</summary>
public enum ClusterChangeKind
{
    /// <summary>A session was revoked: <see cref="ClusterChange.Id"/> is the session, <see cref="ClusterChange.At"/> when.</summary>
    SessionRevoked = 1,

    /// <summary>
    /// Every token of a user issued before <see cref="ClusterChange.At"/> is refused (disabled account, password
    /// reset): <see cref="ClusterChange.Id"/> is the user.
    /// </summary>
    UserTokensRevoked = 2,

    /// <summary>
    /// An API key was revoked or rotated: <see cref="ClusterChange.Id"/> is the key and <see cref="ClusterChange.KeyHash"/>
    /// the hash it is cached under, so that the next presentation is read from the store.
    /// </summary>
    ApiKeyChanged = 3,

    /// <summary>A signing key was created: every instance reloads the key ring (and so its JWKS).</summary>
    SigningKeysChanged = 4,
}

/// <summary>
/// One change to tell the other instances. Every kind only ever makes an instance stricter (refuse a token, forget
/// a cached key, reload keys from the store), so a forged or replayed message can deny service but never grant
/// access. No secret travels: a key's hash is what the store already holds, not the key.
/// </summary>
/// <param name="Kind">What changed.</param>
/// <param name="Id">The session, user or API key it concerns; empty for signing keys.</param>
/// <param name="At">When the revocation takes effect.</param>
/// <param name="KeyHash">For <see cref="ClusterChangeKind.ApiKeyChanged"/>, the key's stored hash.</param>
public readonly record struct ClusterChange(ClusterChangeKind Kind, Guid Id, DateTimeOffset At, string? KeyHash = null);
