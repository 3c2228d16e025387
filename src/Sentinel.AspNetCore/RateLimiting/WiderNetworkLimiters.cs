using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Sentinel.RateLimiting;

namespace Sentinel.AspNetCore.RateLimiting;

/// <summary>
/// The IPv6 budgets above a client's /64: one /56 (256 /64s) and one /48 (65,536 /64s) share
/// <see cref="RateLimitOptions.Ipv6Slash56Factor"/> and <see cref="RateLimitOptions.Ipv6Slash48Factor"/> times a
/// policy's per-address budget, so a host given a whole /48 cannot turn it into 65,536 separate budgets. One
/// partitioned limiter per policy and prefix, whose partitions ASP.NET Core keeps and evicts when idle; their counters
/// come from the <see cref="IRateLimitPartitionStore"/> (shared across instances with Sentinel.Redis).
/// </summary>
internal sealed class WiderNetworkLimiters(IRateLimitPartitionStore store) : IDisposable
{
    private readonly ConcurrentDictionary<(string Policy, int Prefix), PartitionedRateLimiter<string>> _limiters = new();

    /// <summary>The limiter of the /64 partition <paramref name="own"/>, chained to its /56 and /48 budgets; <paramref name="own"/> itself for IPv4.</summary>
    public RateLimiter Chain(RateLimiter own, string policy, IPAddress? address, RateLimitRule rule, RateLimitOptions options)
    {
        if (address is null || address.IsIPv4MappedToIPv6 || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return own;
        }

        return new ChainedLimiter(
            own,
            [
                (For(policy, 56, rule, options.Ipv6Slash56Factor), ClientNetwork.Of(address, 56)),
                (For(policy, 48, rule, options.Ipv6Slash48Factor), ClientNetwork.Of(address, 48)),
            ]);
    }

    private PartitionedRateLimiter<string> For(string policy, int prefix, RateLimitRule rule, int factor) =>
        _limiters.GetOrAdd((policy, prefix), key => PartitionedRateLimiter.Create<string, string>(network =>
            RateLimitPartition.Get(network, n => store.Create(key.Policy, n, new RateLimitRule(checked(rule.PermitLimit * factor), rule.Window)))));

    public void Dispose()
    {
        foreach (var limiter in _limiters.Values)
        {
            limiter.Dispose();
        }
    }

    /// <summary>Acquires from the /64's own limiter, then from each wider budget; the first refusal is the answer.</summary>
    private sealed class ChainedLimiter(RateLimiter own, (PartitionedRateLimiter<string> Limiter, string Network)[] wider) : RateLimiter
    {
        public override TimeSpan? IdleDuration => own.IdleDuration;

        public override RateLimiterStatistics? GetStatistics() => own.GetStatistics();

        protected override RateLimitLease AttemptAcquireCore(int permitCount)
        {
            var leases = new List<RateLimitLease>(wider.Length + 1);
            var lease = own.AttemptAcquire(permitCount);
            for (var i = 0; lease.IsAcquired && i < wider.Length; i++)
            {
                leases.Add(lease);
                lease = wider[i].Limiter.AttemptAcquire(wider[i].Network, permitCount);
            }

            return Combine(leases, lease);
        }

        protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
        {
            var leases = new List<RateLimitLease>(wider.Length + 1);
            var lease = await own.AcquireAsync(permitCount, cancellationToken).ConfigureAwait(false);
            for (var i = 0; lease.IsAcquired && i < wider.Length; i++)
            {
                leases.Add(lease);
                lease = await wider[i].Limiter.AcquireAsync(wider[i].Network, permitCount, cancellationToken).ConfigureAwait(false);
            }

            return Combine(leases, lease);
        }

        private static RateLimitLease Combine(List<RateLimitLease> acquired, RateLimitLease last)
        {
            if (!last.IsAcquired)
            {
                foreach (var lease in acquired)
                {
                    lease.Dispose();
                }

                return last; // the refusal, with its Retry-After
            }

            acquired.Add(last);
            return new AllLeases(acquired);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                own.Dispose(); // the wider budgets are shared, and disposed with their owner
            }

            base.Dispose(disposing);
        }

        protected override async ValueTask DisposeAsyncCore()
        {
            await own.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsyncCore().ConfigureAwait(false);
        }
    }

    private sealed class AllLeases(List<RateLimitLease> leases) : RateLimitLease
    {
        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                foreach (var lease in leases)
                {
                    lease.Dispose();
                }
            }

            base.Dispose(disposing);
        }
    }
}
