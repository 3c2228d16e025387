using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Sentinel.Cluster;

namespace Sentinel.Sessions;

/// <summary>
/// What makes revocation take effect on the next request (SECURITY T8): revoked session ids, kept until their
/// last access token has expired, and per-user "valid after" times. Both are O(1) lookups in memory, loaded from
/// the stores at start, updated by every change in this process (which is published to the other instances through
/// <see cref="IClusterChannel"/>) and by what they publish and the stores hold.
/// </summary>
internal sealed class RevocationList
{
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _sessions = new();
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _usersValidAfter = new();
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;
    private readonly IClusterChannel _cluster;
    private long _nextPruneTicks;

    /// <summary>Creates an empty list; <paramref name="cluster"/> tells the other instances of changes made here.</summary>
    public RevocationList(IOptions<SentinelOptions> options, TimeProvider time, IClusterChannel? cluster = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _cluster = cluster ?? new SingleInstanceChannel();
        // An access token lives at most its lifetime plus the skew; after that its session id need not be kept.
        _retention = options.Value.Tokens.AccessTokenLifetime + options.Value.Tokens.ClockSkew;
        _time = time;
    }

    /// <summary>True when a token of <paramref name="sessionId"/> for <paramref name="userId"/>, issued at <paramref name="issuedAt"/>, must be refused.</summary>
    public bool IsRevoked(Guid sessionId, Guid userId, DateTimeOffset issuedAt) =>
        _sessions.ContainsKey(sessionId)
        || (_usersValidAfter.TryGetValue(userId, out var validAfter) && issuedAt < validAfter);

    /// <summary>Refuses every token of a session from now on, here and (through the cluster channel) on every instance.</summary>
    public void RevokeSession(Guid sessionId, DateTimeOffset revokedAt)
    {
        HoldSession(sessionId, revokedAt);
        _cluster.Publish(new ClusterChange(ClusterChangeKind.SessionRevoked, sessionId, revokedAt));
    }

    /// <summary>
    /// Refuses every token of a user issued before <paramref name="validAfter"/> (disable, security reset), here and
    /// on every instance.
    /// </summary>
    public void RevokeUserTokensBefore(Guid userId, DateTimeOffset validAfter)
    {
        HoldUserValidAfter(userId, validAfter);
        _cluster.Publish(new ClusterChange(ClusterChangeKind.UserTokensRevoked, userId, validAfter));
    }

    // A revocation read from the store or received from another instance: held here, not published again.
    internal void HoldSession(Guid sessionId, DateTimeOffset revokedAt)
    {
        _sessions[sessionId] = revokedAt;
        PruneIfDue();
    }

    internal void HoldUserValidAfter(Guid userId, DateTimeOffset validAfter)
    {
        _usersValidAfter.AddOrUpdate(userId, validAfter, (_, existing) => existing > validAfter ? existing : validAfter);
        PruneIfDue();
    }

    /// <summary>Drops entries whose tokens have all expired.</summary>
    public void Prune()
    {
        var cutoff = _time.GetUtcNow() - _retention;
        foreach (var (id, at) in _sessions)
        {
            if (at < cutoff)
            {
                _sessions.TryRemove(id, out _);
            }
        }

        foreach (var (id, at) in _usersValidAfter)
        {
            if (at < cutoff)
            {
                _usersValidAfter.TryRemove(id, out _);
            }
        }
    }

    /// <summary>The earliest revocation still relevant now (what to load from the stores at start).</summary>
    public DateTimeOffset RelevantSince => _time.GetUtcNow() - _retention;

    private void PruneIfDue()
    {
        var now = _time.GetUtcNow().UtcTicks;
        var due = Interlocked.Read(ref _nextPruneTicks);
        if (now >= due && Interlocked.CompareExchange(ref _nextPruneTicks, now + _retention.Ticks, due) == due)
        {
            Prune();
        }
    }
}
