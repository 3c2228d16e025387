using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Sentinel.ApiKeys;

/// <summary>
/// The in-process half of API key verification: verified keys by hash (so a busy key costs a dictionary lookup,
/// not a database round trip), per-key request windows, and usage counts waiting to be written in a batch.
/// Revoking or rotating a key evicts it at once here (SECURITY K4) and, through the cluster channel, on the other
/// instances; without a channel, another instance reads the change from the store when its entry is older than
/// <see cref="ApiKeyOptions.CacheRefreshInterval"/>.
/// </summary>
internal sealed class ApiKeyCache
{
    private readonly ConcurrentDictionary<string, Entry> _byHash = new(StringComparer.Ordinal);
    // Insertion order, for evicting the longest-held key when full (first in, first out: O(1), no per-hit
    // bookkeeping on the hot path; a busy key that is evicted costs one store lookup to come back).
    private readonly ConcurrentQueue<string> _order = new();
    private readonly ConcurrentDictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> _byHashSpan;
    private readonly ConcurrentDictionary<Guid, Usage> _usage = new();
    // Per key, lock-free: a profile under load found the partitioned token bucket used before (a lock per lookup and
    // per bucket) contended when many connections share one key.
    private readonly RateLimiting.FixedWindowCounter<Guid> _windows;
    private readonly ApiKeyOptions _options;
    private readonly TimeProvider _time;
    private readonly Cluster.IClusterChannel _cluster;

    /// <summary>Creates the cache; <paramref name="cluster"/> tells the other instances of keys revoked or rotated here.</summary>
    public ApiKeyCache(IOptions<SentinelOptions> options, TimeProvider time, Cluster.IClusterChannel? cluster = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _cluster = cluster ?? new Cluster.SingleInstanceChannel();
        _options = options.Value.ApiKeys;
        _time = time;
        _windows = new RateLimiting.FixedWindowCounter<Guid>(time);
        _byHashSpan = _byHash.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>How many keys are held.</summary>
    public int Count => _byHash.Count;

    // Looks a hash up as a span (a stack buffer on the hot path), so a verification from memory allocates no string.
    internal bool TryGet(ReadOnlySpan<char> hash, out VerifiedApiKey key) => Fresh(_byHashSpan.TryGetValue(hash, out var entry) ? entry : null, out key);

    // An entry older than the refresh interval counts as a miss: the key is read from the store again, which is how a
    // revocation or rotation made by another instance reaches this one (within the interval, even without Redis).
    private bool Fresh(Entry? entry, out VerifiedApiKey key)
    {
        key = entry?.Key!;
        var interval = _options.CacheRefreshInterval;
        return entry is not null && (interval <= TimeSpan.Zero || _time.GetUtcNow().UtcTicks - entry.LoadedTicks < interval.Ticks);
    }

    internal void Add(VerifiedApiKey key)
    {
        var capacity = _options.CacheSize;
        if (capacity <= 0)
        {
            return;
        }

        while (_byHash.Count >= capacity && _order.TryDequeue(out var oldest))
        {
            _byHash.TryRemove(oldest, out _);
        }

        var entry = new Entry(key, _time.GetUtcNow().UtcTicks);
        if (_byHash.TryAdd(key.Hash, entry))
        {
            _order.Enqueue(key.Hash);
        }
        else
        {
            _byHash[key.Hash] = entry; // a newer state of a key already held (its place in the order is kept)
        }
    }

    private sealed record Entry(VerifiedApiKey Key, long LoadedTicks);

    /// <summary>
    /// Forgets a key that was revoked or rotated, here and on every instance, so that its next presentation is read
    /// from the store.
    /// </summary>
    public void Evict(Guid keyId, string hash)
    {
        Forget(hash);
        _cluster.Publish(new Cluster.ClusterChange(Cluster.ClusterChangeKind.ApiKeyChanged, keyId, _time.GetUtcNow(), hash));
    }

    // A change received from another instance: forgotten here, not published again.
    internal void Forget(string hash) => _byHash.TryRemove(hash, out _);

    /// <summary>
    /// Takes one request from the key's current window (<see cref="ApiKeyOptions.RateLimitPermits"/> per
    /// <see cref="ApiKeyOptions.RateLimitWindow"/>, a fixed window that starts with the key's first request); the wait
    /// until the window ends when it is used up.
    /// </summary>
    internal TimeSpan? TryAcquire(VerifiedApiKey key)
    {
        var permits = key.RateLimitPermits ?? _options.RateLimitPermits;
        if (permits <= 0)
        {
            return null;
        }

        return _windows.TryAcquire(key.Id, permits, _options.RateLimitWindow);
    }

    /// <summary>Counts a use; written later in a batch.</summary>
    internal void RecordUse(VerifiedApiKey key)
    {
        var usage = _usage.GetOrAdd(key.Id, static (_, k) => new Usage(k.UserId), key);
        Interlocked.Increment(ref usage.Count);
        Interlocked.Exchange(ref usage.LastSeenTicks, _time.GetUtcNow().UtcTicks);
    }

    /// <summary>
    /// The keys used since their last write, once per <see cref="ApiKeyOptions.UsageWriteInterval"/> each, with
    /// how many times; their counts restart.
    /// </summary>
    internal List<(Guid KeyId, Guid UserId, DateTimeOffset LastSeen, long Count)> TakeDueUsage(bool all)
    {
        var now = _time.GetUtcNow().UtcTicks;
        PruneWindows();
        var due = new List<(Guid, Guid, DateTimeOffset, long)>();
        foreach (var (id, usage) in _usage)
        {
            if (Interlocked.Read(ref usage.Count) == 0 || (!all && now - usage.LastWrittenTicks < _options.UsageWriteInterval.Ticks))
            {
                continue;
            }

            usage.LastWrittenTicks = now;
            var count = Interlocked.Exchange(ref usage.Count, 0);
            due.Add((id, usage.UserId, new DateTimeOffset(Interlocked.Read(ref usage.LastSeenTicks), TimeSpan.Zero), count));
        }

        return due;
    }

    // Runs with the usage write (every minute): windows over for a whole window's length are dropped.
    private void PruneWindows() => _windows.Prune(2 * _options.RateLimitWindow);


    private sealed class Usage(Guid userId)
    {
        public readonly Guid UserId = userId;
        public long Count;
        public long LastSeenTicks;
        public long LastWrittenTicks = long.MinValue / 2;
    }
}

/// <summary>A key that verified, as the request sees it (no secret).</summary>
/// <param name="Id">The key's id.</param>
/// <param name="UserId">The user it acts as.</param>
/// <param name="Name">Its name.</param>
/// <param name="Hash">The hash it is stored under.</param>
/// <param name="Scopes">The scopes it holds.</param>
/// <param name="ExpiresAt">When it stops working.</param>
/// <param name="RevokedAt">When it was revoked.</param>
/// <param name="RateLimitPermits">Its own request budget, or null for the default.</param>
public sealed record VerifiedApiKey(
    Guid Id, Guid UserId, string Name, string Hash, IReadOnlySet<string> Scopes, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, int? RateLimitPermits)
{
    internal static VerifiedApiKey From(ApiKeyRecord r) =>
        new(r.Id, r.UserId, r.Name, r.Hash, new HashSet<string>(r.Scopes, StringComparer.Ordinal), r.ExpiresAt, r.RevokedAt, r.RateLimitPermits);

    /// <summary>The key's budget in a shared <see cref="RateLimiting.IRateLimitCounterStore"/>, made once per cached key.</summary>
    internal string SharedLimitKey { get; } = "key:" + Id.ToString("N");
}
