using System.Collections.Concurrent;
using Sentinel.RateLimiting;

namespace Sentinel.Audit;

/// <summary>
/// Keeps unauthenticated noise from growing the audit log without bound (SECURITY A5). Refusals of one type and reason
/// from one client network (<see cref="ClientNetwork"/>), for one user and key if known, in one window
/// (<see cref="AuditOptions.RefusalWindow"/>, a minute by default) form a bucket:
/// the first is recorded at once (so an attack shows up without delay), the rest are counted and written as one event
/// with a <c>count</c> when the window is over. Buckets are bounded; past the bound, new ones share one per type and
/// reason, so memory and rows stay bounded whatever the number of addresses.
/// </summary>
internal sealed class RefusalAggregator(TimeProvider time, TimeSpan window, int maxBuckets = RefusalAggregator.MaxBuckets)
{
    public const int MaxBuckets = 10_000;
    private const string AnyNetwork = "*";

    private readonly ConcurrentDictionary<Bucket, Counter> _buckets = new();

    /// <summary>True for the first refusal of its bucket (record it now); false when it was counted for later.</summary>
    public bool CountFirst(string type, string reason, ClientInfo? client, Guid? userId, Guid? apiKeyId)
    {
        var bucket = new Bucket(type, reason, ClientNetwork.Of(client?.IpAddress), userId, apiKeyId, Window(time.GetUtcNow()));
        if (_buckets.TryGetValue(bucket, out var known))
        {
            Interlocked.Increment(ref known.Extra);
            return false;
        }

        if (_buckets.Count >= maxBuckets)
        {
            bucket = bucket with { Network = AnyNetwork, UserId = null, ApiKeyId = null };
        }

        var added = new Counter(client);
        var counter = _buckets.GetOrAdd(bucket, added);
        if (ReferenceEquals(counter, added))
        {
            return true;
        }

        Interlocked.Increment(ref counter.Extra);
        return false;
    }

    /// <summary>Removes the buckets of windows already over (every one when <paramref name="all"/>) and returns those with refusals not yet written.</summary>
    public List<Due> TakeDue(bool all)
    {
        var current = Window(time.GetUtcNow());
        var due = new List<Due>();
        foreach (var (bucket, _) in _buckets)
        {
            if ((all || bucket.Window < current) && _buckets.TryRemove(bucket, out var counter))
            {
                var extra = Interlocked.Exchange(ref counter.Extra, 0);
                if (extra > 0)
                {
                    due.Add(new Due(bucket.Type, bucket.Reason, bucket.UserId, bucket.ApiKeyId, counter.Client, extra));
                }
            }
        }

        return due;
    }

    private long Window(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / (long)window.TotalMilliseconds;

    /// <summary>Refusals counted but not written: <paramref name="Count"/> of them, attributed to the bucket's first client.</summary>
    public readonly record struct Due(string Type, string Reason, Guid? UserId, Guid? ApiKeyId, ClientInfo? Client, int Count);

    private readonly record struct Bucket(string Type, string Reason, string Network, Guid? UserId, Guid? ApiKeyId, long Window);

    private sealed class Counter(ClientInfo? client)
    {
        public int Extra;

        public ClientInfo? Client { get; } = client;
    }
}
